import fs from 'node:fs';
import { native, errno, addressOf } from './libc.js';
import { SysError } from './errors.js';
import { MSG, SOL_SOCKET, SO, SOCKET_SYSCALLS, getSockOptInt, setSockOptInt, decodeSockAddr, type SockAddr } from './socket.js';

// Reading what waits in a socket's receive queue without taking it: MSG_PEEK from a peek offset
// (SO_PEEK_OFF) that moves past each message, so every message is seen once and stays queued.
const SCM_RIGHTS = 1;
const MSG_CTRUNC = 8;
const CONTROL_SIZE = 4096;
const NAME_SIZE = 128;
// More than the kernel queues for a datagram socket (net.unix.max_dgram_qlen counts, bytes bound streams).
const MAX_MESSAGES = 1 << 16;

export interface QueuedMessage {
  data: Buffer;
  /** The sender's address, for datagrams from a bound socket. */
  from: SockAddr | null;
}

export interface PeekedQueue {
  messages: QueuedMessage[];
  /** Descriptors ride in the queue (SCM_RIGHTS), or control data did not fit: not carried. */
  rights: boolean;
}

interface Peeked {
  length: number;
  flags: number;
  from: SockAddr | null;
  rights: boolean;
}

// The msghdr and what it points at are ferry's own, addresses taken once: a dump peeks into
// every socket, and the buffers cost more to make than the call does.
const name = Buffer.alloc(NAME_SIZE);
const control = Buffer.alloc(CONTROL_SIZE);
const iov = Buffer.alloc(16);
const msg = Buffer.alloc(56);
const msgAddress = Number(addressOf(msg));
msg.writeBigUInt64LE(addressOf(name), 0);
msg.writeBigUInt64LE(addressOf(iov), 16);
msg.writeBigUInt64LE(1n, 24);
msg.writeBigUInt64LE(addressOf(control), 32);

/** One recvmsg(MSG_PEEK) into BUF; descriptors that came with it are closed at once. */
function peekOnce(fd: number, buf: Buffer): Peeked | null {
  iov.writeBigUInt64LE(addressOf(buf), 0);
  iov.writeBigUInt64LE(BigInt(buf.length), 8);
  msg.writeUInt32LE(NAME_SIZE, 8);
  msg.writeBigUInt64LE(BigInt(CONTROL_SIZE), 40);
  msg.writeInt32LE(0, 48);
  const r = Number(native.syscall6(SOCKET_SYSCALLS.recvmsg, fd, msgAddress, MSG.PEEK | MSG.DONTWAIT | MSG.CMSG_CLOEXEC, 0, 0, 0));
  if (r < 0) {
    const e = errno();
    if (e === 11) return null;
    throw new SysError(`recvmsg(MSG_PEEK) on fd ${fd}`, e);
  }
  const flags = msg.readInt32LE(48);
  const nameLength = Math.min(msg.readUInt32LE(8), NAME_SIZE);
  let rights = (flags & MSG_CTRUNC) !== 0;
  const controlLength = Number(msg.readBigUInt64LE(40));
  for (let at = 0; at + 16 <= controlLength; ) {
    const len = Number(control.readBigUInt64LE(at));
    if (len < 16) break;
    if (control.readInt32LE(at + 8) === SOL_SOCKET && control.readInt32LE(at + 12) === SCM_RIGHTS) {
      rights = true;
      for (let i = at + 16; i + 4 <= at + len; i += 4) fs.closeSync(control.readInt32LE(i));
    }
    at += (len + 7) & ~7;
  }
  return { length: r, flags, from: nameLength > 2 ? decodeSockAddr(name.subarray(0, nameLength)) : null, rights };
}

/**
 * Every message queued in socket FD, oldest first, left in place: a stream's bytes as one
 * message, each datagram (or seqpacket record) with its boundary and sender. MAX_MESSAGE bounds a
 * datagram's size; a longer one is an error. The socket's own peek offset (PEEKOFF, when the
 * caller already read it) is put back afterwards.
 */
export function peekQueue(fd: number, stream: boolean, maxMessage: number, peekOff?: number): PeekedQueue {
  // A stream without a peek offset (-1, the default) shows all its bytes from the start to one
  // peek: when that one gives MAX_MESSAGE bytes, it is the whole queue.
  if (stream && peekOff === -1) {
    const buf = Buffer.allocUnsafeSlow(maxMessage + 1);
    const got = peekOnce(fd, buf);
    if (got && (got.rights || got.length === maxMessage)) return { messages: [{ data: buf.subarray(0, got.length), from: null }], rights: got.rights };
  }
  const before = peekOff ?? getSockOptInt(fd, SOL_SOCKET, SO.PEEK_OFF);
  setSockOptInt(fd, SOL_SOCKET, SO.PEEK_OFF, 0);
  try {
    const buf = Buffer.alloc(maxMessage + 1);
    const messages: QueuedMessage[] = [];
    let rights = false;
    for (;;) {
      const got = peekOnce(fd, buf);
      if (!got) break;
      rights ||= got.rights;
      if (!stream && got.length > maxMessage) throw new Error(`a queued message of more than ${maxMessage} bytes`);
      if (got.length === 0 && stream) break;
      if (messages.length >= MAX_MESSAGES) throw new Error(`more than ${MAX_MESSAGES} messages queued`);
      messages.push({ data: Buffer.from(buf.subarray(0, got.length)), from: got.from });
    }
    if (stream && messages.length > 1) return { messages: [{ data: Buffer.concat(messages.map((m) => m.data)), from: null }], rights };
    return { messages, rights };
  } finally {
    setSockOptInt(fd, SOL_SOCKET, SO.PEEK_OFF, before);
  }
}

const SIOCOUTQ = 0x5411;

/** Bytes a socket has sent that its peer has not read yet (SIOCOUTQ; for unix sockets, their memory). */
export function unsentBytes(fd: number): number {
  const out = Buffer.alloc(4);
  const r = Number(native.syscall6(16 /* ioctl */, fd, SIOCOUTQ, Number(addressOf(out)), 0, 0, 0));
  if (r < 0) throw new SysError(`ioctl(SIOCOUTQ) of fd ${fd}`, errno());
  return out.readInt32LE(0);
}
