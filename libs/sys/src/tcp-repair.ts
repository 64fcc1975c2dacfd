import { addressOf } from './libc.js';
import { checkedSyscall } from './fcntl.js';
import { getSockOptBytes, getSockOptInt, setSockOptBytes, setSockOptInt, SOL_TCP } from './socket.js';

// TCP_REPAIR (linux/tcp.h) on ferry's own descriptor of a socket: a pidfd_getfd copy of a task's
// socket is the same socket, so repair mode set on it is the task's too. Needs CAP_NET_ADMIN.
const TCP_MAXSEG = 2, TCP_INFO = 11, TCP_REPAIR = 19, TCP_REPAIR_QUEUE = 20, TCP_QUEUE_SEQ = 21;
const TCP_REPAIR_OPTIONS = 22, TCP_TIMESTAMP = 24, TCP_REPAIR_WINDOW = 29;
const SYS_ioctl = 16;
const SIOCINQ = 0x541b, SIOCOUTQ = 0x5411, SIOCOUTQNSD = 0x894b;
const TCPOPT_MAXSEG = 2, TCPOPT_WINDOW = 3, TCPOPT_SACK_PERM = 4, TCPOPT_TIMESTAMP = 8;

export const TCP_QUEUE = { NONE: 0, RECEIVE: 1, SEND: 2 } as const;
export const TCPI_OPT = { TIMESTAMPS: 1, SACK: 2, WSCALE: 4 } as const;

/** The head of struct tcp_info that ferry reads. */
export interface TcpInfo {
  state: number;
  options: number;
  sendWscale: number;
  receiveWscale: number;
  /** A listening socket's connections waiting to be accepted (tcpi_unacked). */
  acceptQueue: number;
  /** A listening socket's listen(2) backlog (tcpi_sacked). */
  backlog: number;
}

export function tcpInfo(fd: number): TcpInfo {
  const b = getSockOptBytes(fd, SOL_TCP, TCP_INFO, 104);
  return { state: b[0]!, options: b[5]!, sendWscale: b[6]! & 0xf, receiveWscale: b[6]! >> 4, acceptQueue: b.readUInt32LE(24), backlog: b.readUInt32LE(28) };
}

export function setTcpRepair(fd: number, on: boolean): void {
  setSockOptInt(fd, SOL_TCP, TCP_REPAIR, on ? 1 : 0);
}

/** Whether a TCP socket is in repair mode; throws for any other socket. */
export function inTcpRepair(fd: number): boolean {
  return getSockOptInt(fd, SOL_TCP, TCP_REPAIR) !== 0;
}

function ioctlInt(fd: number, request: number, what: string): number {
  const out = Buffer.alloc(4);
  checkedSyscall(`ioctl(${what}) of fd ${fd}`, SYS_ioctl, fd, request, Number(addressOf(out)));
  return out.readInt32LE(0);
}

/** Bytes queued in a socket: received and unread (a UDP socket's next datagram), written and not yet gone (TCP: not acknowledged). */
export function socketQueues(fd: number): { receive: number; send: number } {
  return { receive: ioctlInt(fd, SIOCINQ, 'SIOCINQ'), send: ioctlInt(fd, SIOCOUTQ, 'SIOCOUTQ') };
}

/** The bytes at the end of a TCP socket's send queue that never went out. */
export function tcpUnsentBytes(fd: number): number {
  return ioctlInt(fd, SIOCOUTQNSD, 'SIOCOUTQNSD');
}

/** Which queue the next TCP_QUEUE_SEQ, send or peek acts on (repair mode only). */
export function selectTcpQueue(fd: number, queue: number): void {
  setSockOptInt(fd, SOL_TCP, TCP_REPAIR_QUEUE, queue);
}

export function tcpQueueSeq(fd: number): number {
  return getSockOptInt(fd, SOL_TCP, TCP_QUEUE_SEQ) >>> 0;
}

export function setTcpQueueSeq(fd: number, seq: number): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(seq >>> 0);
  setSockOptBytes(fd, SOL_TCP, TCP_QUEUE_SEQ, b);
}

export function tcpMaxSegment(fd: number): number {
  return getSockOptInt(fd, SOL_TCP, TCP_MAXSEG);
}

export function tcpTimestamp(fd: number): number {
  return getSockOptInt(fd, SOL_TCP, TCP_TIMESTAMP) >>> 0;
}

export function setTcpTimestamp(fd: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  setSockOptBytes(fd, SOL_TCP, TCP_TIMESTAMP, b);
}

/** struct tcp_repair_window. */
export interface TcpWindow { sndWl1: number; sndWnd: number; maxWindow: number; rcvWnd: number; rcvWup: number }

export function tcpWindow(fd: number): TcpWindow {
  const b = getSockOptBytes(fd, SOL_TCP, TCP_REPAIR_WINDOW, 20);
  return { sndWl1: b.readUInt32LE(0), sndWnd: b.readUInt32LE(4), maxWindow: b.readUInt32LE(8), rcvWnd: b.readUInt32LE(12), rcvWup: b.readUInt32LE(16) };
}

export function setTcpWindow(fd: number, w: TcpWindow): void {
  const b = Buffer.alloc(20);
  [w.sndWl1, w.sndWnd, w.maxWindow, w.rcvWnd, w.rcvWup].forEach((v, i) => b.writeUInt32LE(v >>> 0, i * 4));
  setSockOptBytes(fd, SOL_TCP, TCP_REPAIR_WINDOW, b);
}

/** What the handshake had agreed, given back to a repaired socket (TCP_REPAIR_OPTIONS). */
export function setTcpRepairOptions(fd: number, o: { mss: number; options: number; sendWscale: number; receiveWscale: number }): void {
  const opts: [number, number][] = [];
  if (o.options & TCPI_OPT.SACK) opts.push([TCPOPT_SACK_PERM, 0]);
  if (o.options & TCPI_OPT.WSCALE) opts.push([TCPOPT_WINDOW, o.sendWscale + (o.receiveWscale << 16)]);
  if (o.options & TCPI_OPT.TIMESTAMPS) opts.push([TCPOPT_TIMESTAMP, 0]);
  opts.push([TCPOPT_MAXSEG, o.mss]);
  const b = Buffer.alloc(8 * opts.length);
  opts.forEach(([code, value], i) => { b.writeUInt32LE(code, i * 8); b.writeUInt32LE(value >>> 0, i * 8 + 4); });
  setSockOptBytes(fd, SOL_TCP, TCP_REPAIR_OPTIONS, b);
}
