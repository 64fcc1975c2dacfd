import fs from 'node:fs';
import { UNIX_STATES, UNIX_TYPES, unixAddressText, type UnixSocket } from '@ferry/proto';
import { unsentBytes, O_ACCMODE, O_NONBLOCK, type FdInfo, type UnixDiag } from '@ferry/sys';
import { copyOfFd, type DescribeContext, type FileDescriber, type FileObject } from './file-kinds.js';
import { unixSocketTable, type UnixSocketTable } from './unix-socket-table.js';
import { readOptions, readQueue } from './unix-socket-state.js';

const SOCKET = /^socket:\[(\d+)\]$/;
const TYPE_NAMES: Record<number, string> = { [UNIX_TYPES.STREAM]: 'stream', [UNIX_TYPES.DGRAM]: 'datagram', [UNIX_TYPES.SEQPACKET]: 'seqpacket' };

function whatIs(pid: number, info: FdInfo, d: UnixDiag): string {
  const bound = d.name.length > 0 ? ` bound to ${unixAddressText(d.name)}` : '';
  return `${info.target} of pid ${pid} (a unix ${TYPE_NAMES[d.type] ?? `type ${d.type}`} socket${bound})`;
}

const UNREAD_OPTIONS = { rcvbuf: 0, sndbuf: 0, passcred: false, passsec: false, peekOff: 0, rcvtimeoUs: 0n, sndtimeoUs: 0n, creatorPid: 0 };

const leaveOut = (target: string) => `dump with --inherit-fd ${target} to leave it out, then restore with --inherit-fd fd[N]:${target}`;

/** Where the socket is connected: a string when the connection cannot be carried. */
function connection(d: UnixDiag, table: UnixSocketTable, ctx: DescribeContext, target: string, what: string): Pick<UnixSocket, 'peerIno' | 'peerName' | 'peerClosed'> | string {
  const none = { peerIno: 0n, peerName: Buffer.alloc(0), peerClosed: false };
  if (d.state === UNIX_STATES.LISTENING) return none;
  if (d.peer !== 0) {
    if (table.inTree.has(d.peer)) return { ...none, peerIno: BigInt(d.peer) };
    const peer = table.diag.get(d.peer);
    if (d.type === UNIX_TYPES.DGRAM && ctx.options.extUnixSk && peer && peer.name.length > 0) return { ...none, peerName: peer.name };
    const where = peer && peer.name.length > 0 ? ` (${unixAddressText(peer.name)})` : '';
    const ext = d.type === UNIX_TYPES.DGRAM ? ', or dump with --ext-unix-sk to reconnect it to its peer\'s address at restore' : '';
    return `${what}, whose peer socket:[${d.peer}]${where} is outside the dumped tree (${leaveOut(target)}${ext})`;
  }
  if (d.state !== UNIX_STATES.CONNECTED) return none;
  const listener = table.waitingIn.get(d.ino);
  if (listener === undefined) return { ...none, peerClosed: true };
  if (!table.inTree.has(listener)) return `${what}, which waits in the accept queue of socket:[${listener}] outside the dumped tree (${leaveOut(target)})`;
  return none;
}

function checkName(d: UnixDiag, what: string): string | null {
  if (d.name.length === 0 || d.name[0] === 0 || d.name[0] === 0x2f) return null;
  return `${what}: it is bound to a relative path, and ferry cannot tell where that was`;
}

/** Whether the file a path-bound socket was bound to is gone or is something else now. */
function nameUnlinked(d: UnixDiag): boolean {
  if (d.name.length === 0 || d.name[0] === 0 || !d.vfs) return false;
  try {
    return Number(fs.lstatSync(d.name.toString()).ino) !== d.vfs.ino;
  } catch {
    return true;
  }
}

/** A listener's accept queue: every connection waiting must come from the tree, and not have sent yet. */
function acceptQueue(d: UnixDiag, table: UnixSocketTable, what: string): bigint[] | string {
  for (const client of d.waiting) {
    if (client === 0) return `${what}: a connection waiting in its accept queue was closed by its client`;
    if (!table.inTree.has(client)) return `${what}: connection socket:[${client}] waiting in its accept queue comes from outside the dumped tree`;
  }
  return d.waiting.map(BigInt);
}

/** A connecting socket's bytes sent to a connection still waiting to be accepted cannot be read without accepting it. */
function unsentToWaiting(info: FdInfo, copy: number, table: UnixSocketTable, what: string): string | null {
  const listener = table.waitingIn.get(Number(SOCKET.exec(info.target)![1]));
  if (listener === undefined) return null;
  const unsent = unsentBytes(copy);
  if (unsent === 0) return null;
  return `${what} has sent data to its connection waiting in the accept queue of socket:[${listener}], which ferry cannot read without accepting it`;
}

/**
 * An AF_UNIX socket: its type, state, addresses, peer (by inode), accept queue, options and the
 * messages queued to it, read without taking them. A socket connected outside the tree is refused
 * unless --inherit-fd leaves it out (external.ts) or, for a datagram one, --ext-unix-sk is given.
 * Not a unix socket (the kernel's unix table does not have it): null, for another kind.
 */
export const describeUnixSocket: FileDescriber = (pid, info, id, ctx) => {
  const m = SOCKET.exec(info.target);
  if (!m) return null;
  const table = unixSocketTable(ctx);
  const d = table.diag.get(Number(m[1]));
  if (!d) return null;
  const what = whatIs(pid, info, d);
  const badName = checkName(d, what);
  if (badName) return badName;
  const peer = connection(d, table, ctx, info.target, what);
  if (typeof peer === 'string') return peer;
  const waiting = d.state === UNIX_STATES.LISTENING ? acceptQueue(d, table, what) : [];
  if (typeof waiting === 'string') return waiting;
  const payload = (options: ReturnType<typeof readOptions>, queued: UnixSocket['queued']): FileObject => ({
    kind: 'unix-socket', id,
    payload: {
      id, ino: BigInt(d.ino), type: d.type, state: d.state, flags: info.flags & (O_ACCMODE | O_NONBLOCK),
      name: d.name, nameUnlinked: nameUnlinked(d), ...peer, shutdown: d.shutdown,
      backlog: d.state === UNIX_STATES.LISTENING ? d.wqueue : 0, acceptQueue: waiting,
      ...options, queued,
    },
  });
  // Before the freeze only a refusal counts, and of what the copy reads only this one can refuse:
  // the pidfd_getfd and the options of every other socket are left to the frozen pass.
  if (!ctx.contents && !table.waitingIn.has(d.ino)) return payload(UNREAD_OPTIONS, []);
  const copy = copyOfFd(ctx, pid, info.fd);
  try {
    const unsent = unsentToWaiting(info, copy, table, what);
    if (unsent) return unsent;
    const options = readOptions(copy, d);
    const queued = ctx.contents && d.state !== UNIX_STATES.LISTENING ? readQueue(copy, d.type, d.rqueue, options.peekOff, what) : [];
    if (typeof queued === 'string') return queued;
    return payload(options, queued);
  } finally {
    fs.closeSync(copy);
  }
};
