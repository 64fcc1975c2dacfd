import fs from 'node:fs';
import { UNIX_TYPES, unixAddressText, type UnixSocket } from '@ferry/proto';
import {
  AF_UNIX, SO, SOL_SOCKET, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, bindSocket, sendBytes, sendBytesTo, setSockOptBytes,
  setSockOptInt, setStatusFlags, shutdownSocket, socket, O_NONBLOCK,
} from '@ferry/sys';
import type { UnixLinks } from './unix-socket-links.js';
import type { MadeSockets } from './unix-socket-build.js';

/** Room enough for any queue a checkpoint carries, while it is put back. */
const FILLING_SNDBUF = 64 << 20;

function timeval(us: bigint): Buffer {
  const tv = Buffer.alloc(16);
  tv.writeBigInt64LE(us / 1_000_000n, 0);
  tv.writeBigInt64LE(us % 1_000_000n, 8);
  return tv;
}

/** Buffer sizes (the kernel doubles what is set, so half of what was read) and the options a service sets. */
function setOptions(fd: number, s: UnixSocket): void {
  // The FORCE variants pass net.core.[rw]mem_max as the dumped program may have (ferry is privileged).
  setSockOptInt(fd, SOL_SOCKET, SO.RCVBUFFORCE, Math.floor(s.rcvbuf / 2));
  setSockOptInt(fd, SOL_SOCKET, SO.SNDBUFFORCE, Math.floor(s.sndbuf / 2));
  if (s.passcred) setSockOptInt(fd, SOL_SOCKET, SO.PASSCRED, 1);
  if (s.passsec) setSockOptInt(fd, SOL_SOCKET, SO.PASSSEC, 1);
  if (s.rcvtimeoUs) setSockOptBytes(fd, SOL_SOCKET, SO.RCVTIMEO, timeval(s.rcvtimeoUs));
  if (s.sndtimeoUs) setSockOptBytes(fd, SOL_SOCKET, SO.SNDTIMEO, timeval(s.sndtimeoUs));
}

function sendAll(fd: number, data: Buffer, what: string, to?: Buffer): void {
  // Every socket here is non-blocking until its flags are set at the end: a full one says so at once.
  const sent = to ? sendBytesTo(fd, data, { family: AF_UNIX, path: to }) : sendBytes(fd, data);
  if (sent !== data.length) throw new Error(`${what}: only ${Math.max(sent, 0)} of ${data.length} queued bytes went back`);
}

/** A socket of ferry's own to send with: bound to SENDER (the datagram's sender, which no socket of the image is). */
function standInSender(sender: Buffer, what: string): number {
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK);
  try {
    setSockOptInt(fd, SOL_SOCKET, SO.SNDBUFFORCE, FILLING_SNDBUF);
    if (sender.length === 0) return fd;
    if (sender[0] !== 0 && fs.existsSync(sender.toString())) throw new Error(`${what}: a datagram from ${sender.toString()} waits in it, and that path is taken`);
    bindSocket(fd, { family: AF_UNIX, path: sender });
    if (sender[0] !== 0) fs.unlinkSync(sender.toString());
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

class Filler {
  private readonly raised = new Set<number>();

  constructor(private readonly made: MadeSockets, private readonly links: UnixLinks) {}

  fd(s: UnixSocket): number {
    return this.made.fds.get(s.id)!;
  }

  /** The sender gets room for the whole queue; its own size comes back afterwards (setOptions). */
  roomy(fd: number): number {
    if (!this.raised.has(fd)) setSockOptInt(fd, SOL_SOCKET, SO.SNDBUFFORCE, FILLING_SNDBUF);
    this.raised.add(fd);
    return fd;
  }

  /** A stream's or seqpacket's messages come from its peer (or the far end kept for it). */
  fillConnected(s: UnixSocket, what: string): void {
    const peer = s.peerIno === 0n ? undefined : this.links.byIno.get(s.peerIno);
    const from = peer ? this.fd(peer) : this.made.ghosts.get(s.id);
    if (from === undefined) throw new Error(`${what}: nothing is connected to it to put its queued bytes back with`);
    for (const m of s.queued) sendAll(this.roomy(from), Buffer.from(m.data), what);
  }

  /** Each datagram from its sender: the image's socket of that address (or the unbound peer), else a stand-in bound to it. */
  fillDatagrams(s: UnixSocket, what: string): void {
    const peer = s.peerIno === 0n ? undefined : this.links.byIno.get(s.peerIno);
    for (const m of s.queued) {
      const sender = Buffer.from(m.sender);
      const own = [...this.links.byIno.values()].find((o) => o.type === UNIX_TYPES.DGRAM && o.name.length > 0 && Buffer.from(o.name).equals(sender));
      const mine = sender.length === 0 && peer && peer.name.length === 0 && peer.peerIno === s.ino ? peer : own;
      if (mine && mine.peerIno === s.ino) {
        sendAll(this.roomy(this.fd(mine)), Buffer.from(m.data), what);
        continue;
      }
      if (s.name.length === 0) throw new Error(`${what}: a datagram from ${sender.length ? unixAddressText(sender) : 'an unbound socket'} waits in it, and it has no address to send it to`);
      const from = mine ? this.roomy(this.fd(mine)) : standInSender(sender, what);
      try {
        sendAll(from, Buffer.from(m.data), what, Buffer.from(s.name));
      } finally {
        if (!mine) fs.closeSync(from);
      }
    }
  }
}

const SHUT_HOW: Record<number, number> = { 1: 0, 2: 1, 3: 2 };

/**
 * Everything of the sockets but their connections: options, queued messages (sent again by
 * their senders), then the far ends of orphans close, shutdowns and flags are applied, and the
 * files of path-bound sockets whose file had gone are removed.
 */
export function fillUnixSockets(all: UnixSocket[], made: MadeSockets, links: UnixLinks): void {
  const filler = new Filler(made, links);
  try {
    for (const s of all) {
      if (s.queued.length === 0) continue;
      const what = `unix socket socket:[${s.ino}]`;
      if (s.type === UNIX_TYPES.DGRAM) filler.fillDatagrams(s, what);
      else filler.fillConnected(s, what);
    }
  } finally {
    for (const fd of made.ghosts.values()) fs.closeSync(fd);
    made.ghosts.clear();
  }
  for (const s of all) {
    const fd = filler.fd(s);
    setOptions(fd, s);
    if (s.shutdown) shutdownSocket(fd, SHUT_HOW[s.shutdown]!);
    if (s.peekOff >= 0) setSockOptInt(fd, SOL_SOCKET, SO.PEEK_OFF, s.peekOff);
    setStatusFlags(fd, s.flags & O_NONBLOCK);
    if (s.nameUnlinked) fs.rmSync(Buffer.from(s.name).toString(), { force: true });
  }
}
