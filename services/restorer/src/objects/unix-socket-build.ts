import fs from 'node:fs';
import { UNIX_STATES, UNIX_TYPES, unixAddressText, type UnixSocket } from '@ferry/proto';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_NONBLOCK, acceptSocket, bindSocket, connectSocket } from '@ferry/sys';
import type { BuiltTree } from '../object-kind.js';
import type { RestoringTask } from '../restoring-task.js';
import type { UnixLinks } from './unix-socket-links.js';
import { PairRequests, clearSocketPath, connectedIn, listenerIn, socketIn } from './unix-socket-make.js';

/** Ferry's descriptor of each socket, and the far ends kept for sockets whose peer had closed (to fill them, then close). */
export interface MadeSockets {
  fds: Map<string, number>;
  ghosts: Map<string, number>;
}

/** What the builder needs of the restore: the tasks, and which task holds a socket. */
export interface BuildContext {
  built: BuiltTree;
  links: UnixLinks;
  /** The first live task with a descriptor on the socket. */
  holderOf(s: UnixSocket): number;
  opened: Map<string, number>;
}

const isPath = (name: Uint8Array) => name.length > 0 && name[0] !== 0;

/** The address to bind S to, its path cleared first; null when S is unbound. */
function bindName(s: UnixSocket): Buffer | null {
  if (s.name.length === 0) return null;
  if (isPath(s.name)) clearSocketPath(Buffer.from(s.name).toString());
  return Buffer.from(s.name);
}

class Builder {
  readonly made: MadeSockets = { fds: new Map(), ghosts: new Map() };
  private readonly pairs = new PairRequests();
  /** Sockets whose socketpair is asked for but not made yet. */
  private readonly promised = new Set<string>();

  constructor(private readonly ctx: BuildContext) {}

  /** The task whose pid the socket's peer saw (SO_PEERCRED), if it is in the tree; else FALLBACK's holder. */
  creator(pid: number, fallback: UnixSocket): RestoringTask {
    return this.ctx.built.has(pid) ? this.ctx.built.task(pid) : this.holder(fallback);
  }

  holder(s: UnixSocket): RestoringTask {
    return this.ctx.built.task(this.ctx.holderOf(s));
  }

  put(s: UnixSocket, fd: number): void {
    this.made.fds.set(s.id, fd);
    this.ctx.opened.set(s.id, fd);
  }

  has(s: UnixSocket): boolean {
    return this.made.fds.has(s.id) || this.promised.has(s.id);
  }

  /** A and B made a socketpair by the task that made it, then THEN done with their descriptors. */
  pair(a: UnixSocket, b: UnixSocket | null, then: (fa: number, fb: number) => void): void {
    this.promised.add(a.id);
    if (b) this.promised.add(b.id);
    this.pairs.want(this.creator(a.creatorPid, a), a.type, then);
  }

  /** Makes the socketpairs asked for. */
  flushPairs(): void {
    this.pairs.flush();
    this.promised.clear();
  }

  peerOf(s: UnixSocket): UnixSocket | undefined {
    return s.peerIno === 0n ? undefined : this.ctx.links.byIno.get(s.peerIno);
  }

  /** Accepts the connection a task just made to LISTENER. */
  accept(listener: number, what: string): number {
    const fd = acceptSocket(listener, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd === null) throw new Error(`${what}: the connection made for it was not there to accept`);
    return fd;
  }

  listeners(all: UnixSocket[]): void {
    for (const l of all.filter((s) => s.state === UNIX_STATES.LISTENING)) this.put(l, listenerIn(this.creator(l.creatorPid, l), l.type, bindName(l)!, l.backlog));
  }

  /** Mutually connected datagram sockets are a socketpair (bound afterwards); others are bound, then connected. */
  datagrams(all: UnixSocket[]): void {
    const dgrams = all.filter((s) => s.type === UNIX_TYPES.DGRAM);
    for (const a of dgrams) {
      const b = this.peerOf(a);
      if (this.has(a) || !b || b.peerIno !== a.ino) continue;
      this.pair(a, b, (fa, fb) => {
        this.put(a, fa);
        this.put(b, fb);
        for (const [s, fd] of [[a, fa], [b, fb]] as const) {
          const name = bindName(s);
          if (name) bindSocket(fd, { family: AF_UNIX, path: name });
        }
      });
    }
    this.flushPairs();
    for (const s of dgrams) if (!this.has(s)) this.put(s, socketIn(this.holder(s), s.type, bindName(s)));
    for (const s of dgrams) {
      const peer = this.peerOf(s);
      if (peer && peer.peerIno === s.ino) continue;
      const to = peer ? peer.name : s.peerName;
      if (to.length > 0) connectSocket(this.made.fds.get(s.id)!, { family: AF_UNIX, path: Buffer.from(to) });
    }
  }

  unconnected(all: UnixSocket[]): void {
    for (const s of all) if (s.type !== UNIX_TYPES.DGRAM && s.state === UNIX_STATES.UNCONNECTED) this.put(s, socketIn(this.holder(s), s.type, bindName(s)));
  }

  /**
   * A connection between two sockets of the tree. Unnamed both: a socketpair. Otherwise it was
   * accepted: the accepted end shares its listener's name. It is accepted again from that
   * listener, or from a stand-in bound to that name; the listener's maker is who the connecting
   * end saw, the connecting task who the accepted end saw.
   */
  connection(a: UnixSocket, b: UnixSocket): void {
    if (a.name.length === 0 && b.name.length === 0) {
      this.pair(a, b, (fa, fb) => {
        this.put(a, fa);
        this.put(b, fb);
      });
      return;
    }
    const listenerNamed = (s: UnixSocket) => this.listenerOn(s.name) !== undefined;
    const [client, accepted] = listenerNamed(a) || (a.name.length > 0 && !listenerNamed(b) && b.name.length === 0) ? [b, a] : [a, b];
    this.viaListener(accepted, (listenerName) => connectedIn(this.creator(accepted.creatorPid, client), client.type, bindName(client), listenerName), this.creator(client.creatorPid, accepted), (fd) => this.put(client, fd));
  }

  /** A socket whose peer had closed: connected to a far end of its own, which goes once the queue is filled. */
  orphan(s: UnixSocket): void {
    if (s.name.length === 0) {
      this.pair(s, null, (fd, ghost) => {
        this.put(s, fd);
        this.made.ghosts.set(s.id, ghost);
      });
      return;
    }
    this.viaListener(s, (name) => connectedIn(this.creator(s.creatorPid, s), s.type, null, name), this.holder(s), (fd) => this.made.ghosts.set(s.id, fd));
  }

  /** ACCEPTED comes from its listener (or a stand-in on its name made by MAKER) after CONNECT made its far end. */
  private viaListener(accepted: UnixSocket, connect: (name: Buffer) => number, maker: RestoringTask, keepFar: (fd: number) => void): void {
    const real = this.listenerOn(accepted.name);
    const standIn = real ? null : listenerIn(maker, accepted.type, bindName(accepted)!, 1);
    try {
      keepFar(connect(Buffer.from(accepted.name)));
      this.put(accepted, this.accept(real ? this.made.fds.get(real.id)! : standIn!, `socket:[${accepted.ino}]`));
    } finally {
      if (standIn !== null) fs.closeSync(standIn);
    }
  }

  private listenersByName?: Map<string, UnixSocket>;

  private listenerOn(name: Uint8Array): UnixSocket | undefined {
    const key = (n: Uint8Array) => Buffer.from(n).toString('latin1');
    this.listenersByName ??= new Map([...this.ctx.links.byIno.values()].filter((l) => l.state === UNIX_STATES.LISTENING).reverse().map((l) => [key(l.name), l]));
    return this.listenersByName.get(key(name));
  }

  connected(all: UnixSocket[]): void {
    for (const a of all) {
      if (a.type === UNIX_TYPES.DGRAM || a.state !== UNIX_STATES.CONNECTED || this.has(a) || this.ctx.links.waitingIn.has(a.ino)) continue;
      const b = this.peerOf(a);
      if (b) this.connection(a, b);
      else if (a.peerClosed) this.orphan(a);
    }
    this.flushPairs();
  }

  /** The connections waiting in each listener's accept queue, in their order, made by the tasks that hold them. */
  acceptQueues(all: UnixSocket[]): void {
    for (const l of all.filter((s) => s.state === UNIX_STATES.LISTENING)) {
      for (const ino of l.acceptQueue) {
        const c = this.ctx.links.byIno.get(ino)!;
        this.put(c, connectedIn(this.holder(c), c.type, bindName(c), Buffer.from(l.name)));
      }
    }
  }
}

/**
 * Makes every socket of ALL (the image's, but those handed over) connected as it was, each by
 * the task that made it, and takes it into ferry. Listeners first, so that accepted connections
 * come from them before the waiting ones queue up again.
 */
export function makeUnixSockets(all: UnixSocket[], ctx: BuildContext): MadeSockets {
  const b = new Builder(ctx);
  try {
    b.listeners(all);
    b.datagrams(all);
    b.unconnected(all);
    b.connected(all);
    b.acceptQueues(all);
  } catch (e) {
    for (const fd of b.made.ghosts.values()) fs.closeSync(fd);
    throw e;
  }
  const missing = all.find((s) => !b.has(s));
  if (missing) throw new Error(`unix socket socket:[${missing.ino}] (${unixAddressText(missing.name) || 'unbound'}) could not be made again`);
  return b.made;
}
