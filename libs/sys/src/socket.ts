import { native, errno, addressOf } from './libc.js';
import { SysError } from './errors.js';
import { checkedSyscall } from './fcntl.js';

// Socket calls made on ferry's own descriptors (not injected): raw syscalls, as pipes.ts does.
const SYS_socket = 41, SYS_connect = 42, SYS_accept4 = 288, SYS_sendto = 44, SYS_recvfrom = 45;
const SYS_sendmsg = 46, SYS_recvmsg = 47, SYS_shutdown = 48, SYS_bind = 49, SYS_listen = 50;
const SYS_getsockname = 51, SYS_getpeername = 52, SYS_socketpair = 53, SYS_setsockopt = 54, SYS_getsockopt = 55;

export const AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5;
export const SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1, SOL_TCP = 6, SOL_IPV6 = 41, SOL_IP = 0;
export const SO = {
  REUSEADDR: 2, TYPE: 3, ERROR: 4, DONTROUTE: 5, BROADCAST: 6, SNDBUF: 7, RCVBUF: 8, KEEPALIVE: 9,
  OOBINLINE: 10, NO_CHECK: 11, PRIORITY: 12, LINGER: 13, REUSEPORT: 15, PASSCRED: 16, PEERCRED: 17,
  RCVLOWAT: 18, SNDLOWAT: 19, RCVTIMEO: 20, SNDTIMEO: 21, ACCEPTCONN: 30, PEEK_OFF: 42, PROTOCOL: 38,
  DOMAIN: 39, PASSSEC: 34, MARK: 36, RCVBUFFORCE: 33, SNDBUFFORCE: 32, BINDTODEVICE: 25,
} as const;
export const MSG = { OOB: 1, PEEK: 2, DONTWAIT: 0x40, TRUNC: 0x20, WAITALL: 0x100, NOSIGNAL: 0x4000, CMSG_CLOEXEC: 0x40000000 } as const;
export const SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;

/** A socket address: a unix path (abstract when it starts with NUL), or an IPv4/IPv6 address and port. */
export type SockAddr =
  | { family: typeof AF_UNIX; path: Buffer }
  | { family: typeof AF_INET; address: string; port: number }
  | { family: typeof AF_INET6; address: string; port: number; flowInfo?: number; scopeId?: number }
  | { family: number; raw: Buffer };

const SOCKADDR_MAX = 128;
const SUN_PATH_MAX = 108;

export function encodeSockAddr(addr: SockAddr): Buffer {
  if ('path' in addr) {
    if (addr.path.length > SUN_PATH_MAX) throw new Error(`unix socket path of ${addr.path.length} bytes is longer than ${SUN_PATH_MAX}`);
    const out = Buffer.alloc(2 + addr.path.length);
    out.writeUInt16LE(AF_UNIX, 0);
    addr.path.copy(out, 2);
    return out;
  }
  if ('raw' in addr) return addr.raw;
  if (addr.family === AF_INET) {
    const out = Buffer.alloc(16);
    out.writeUInt16LE(AF_INET, 0);
    out.writeUInt16BE(addr.port, 2);
    const parts = addr.address.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${addr.address}`);
    Buffer.from(parts).copy(out, 4);
    return out;
  }
  const out = Buffer.alloc(28);
  out.writeUInt16LE(AF_INET6, 0);
  out.writeUInt16BE(addr.port, 2);
  out.writeUInt32BE(addr.flowInfo ?? 0, 4);
  ipv6Bytes(addr.address).copy(out, 8);
  out.writeUInt32LE(addr.scopeId ?? 0, 24);
  return out;
}

export function decodeSockAddr(buf: Buffer): SockAddr {
  if (buf.length < 2) return { family: 0, raw: buf };
  const family = buf.readUInt16LE(0);
  if (family === AF_UNIX) {
    let path = buf.subarray(2);
    // A pathname address may come back NUL-terminated; an abstract one is exactly its length.
    if (path.length > 0 && path[0] !== 0) {
      const nul = path.indexOf(0);
      if (nul >= 0) path = path.subarray(0, nul);
    }
    return { family: AF_UNIX, path: Buffer.from(path) };
  }
  if (family === AF_INET && buf.length >= 16) {
    return { family: AF_INET, address: [...buf.subarray(4, 8)].join('.'), port: buf.readUInt16BE(2) };
  }
  if (family === AF_INET6 && buf.length >= 28) {
    return { family: AF_INET6, address: ipv6Text(buf.subarray(8, 24)), port: buf.readUInt16BE(2), flowInfo: buf.readUInt32BE(4), scopeId: buf.readUInt32LE(24) };
  }
  return { family, raw: Buffer.from(buf) };
}

/** The 16 bytes of an IPv6 address written as text (:: shorthand and a trailing IPv4 allowed). */
export function ipv6Bytes(text: string): Buffer {
  let head = text, tail = '';
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const groups: number[] = [];
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    head = text.slice(0, -v4[1]!.length);
    tail = `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
    head = head + tail;
  }
  const [left, right] = head.split('::') as [string, string | undefined];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = parse(left), r = right === undefined ? [] : parse(right);
  if (right === undefined && l.length !== 8) throw new Error(`not an IPv6 address: ${text}`);
  groups.push(...l, ...Array(8 - l.length - r.length).fill(0), ...r);
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new Error(`not an IPv6 address: ${text}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** The usual text of an IPv6 address (longest run of zero groups as ::). */
export function ipv6Text(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${[...bytes.subarray(12, 16)].join('.')}`;
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function socket(family: number, type: number, protocol = 0): number {
  return checkedSyscall(`socket(${family}, ${type})`, SYS_socket, family, type, protocol);
}

export function socketPair(family: number, type: number, protocol = 0): [number, number] {
  const fds = Buffer.alloc(8);
  checkedSyscall(`socketpair(${family}, ${type})`, SYS_socketpair, family, type, protocol, Number(addressOf(fds)));
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

function withAddress(what: string, nr: number, fd: number, addr: SockAddr): void {
  const buf = encodeSockAddr(addr);
  checkedSyscall(what, nr, fd, Number(addressOf(buf)), buf.length);
}

export function bindSocket(fd: number, addr: SockAddr): void {
  withAddress(`bind of fd ${fd}`, SYS_bind, fd, addr);
}

export function connectSocket(fd: number, addr: SockAddr): void {
  withAddress(`connect of fd ${fd}`, SYS_connect, fd, addr);
}

/** connect(2) that reports EINPROGRESS/EAGAIN as false instead of throwing (non-blocking sockets). */
export function connectStarted(fd: number, addr: SockAddr): boolean {
  const buf = encodeSockAddr(addr);
  const r = Number(native.syscall6(SYS_connect, fd, Number(addressOf(buf)), buf.length, 0, 0, 0));
  if (r === 0) return true;
  const e = errno();
  if (e === 115 /* EINPROGRESS */ || e === 11 /* EAGAIN */) return false;
  throw new SysError(`connect of fd ${fd}`, e);
}

export function listenSocket(fd: number, backlog: number): void {
  checkedSyscall(`listen of fd ${fd}`, SYS_listen, fd, backlog);
}

/** accept4(2); null when nothing waits on a non-blocking socket. */
export function acceptSocket(fd: number, flags = SOCK_CLOEXEC): number | null {
  const r = Number(native.syscall6(SYS_accept4, fd, 0, 0, flags, 0, 0));
  if (r >= 0) return r;
  const e = errno();
  if (e === 11) return null;
  throw new SysError(`accept of fd ${fd}`, e);
}

export function shutdownSocket(fd: number, how: number): void {
  checkedSyscall(`shutdown of fd ${fd}`, SYS_shutdown, fd, how);
}

function nameOf(what: string, nr: number, fd: number): SockAddr {
  const buf = Buffer.alloc(SOCKADDR_MAX);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(SOCKADDR_MAX, 0);
  checkedSyscall(what, nr, fd, Number(addressOf(buf)), Number(addressOf(len)));
  return decodeSockAddr(buf.subarray(0, Math.min(len.readUInt32LE(0), SOCKADDR_MAX)));
}

export function socketName(fd: number): SockAddr {
  return nameOf(`getsockname of fd ${fd}`, SYS_getsockname, fd);
}

/** getpeername(2); null when the socket is not connected (ENOTCONN). */
export function peerName(fd: number): SockAddr | null {
  try {
    return nameOf(`getpeername of fd ${fd}`, SYS_getpeername, fd);
  } catch (e) {
    if (e instanceof SysError && e.errno === 107) return null;
    throw e;
  }
}

// getsockopt answers land in one buffer of ferry's, its address taken once: a dump asks every
// socket several options, and a fresh pair of buffers per call cost more than the call itself.
const OPTION_MAX = 256;
const option = Buffer.alloc(OPTION_MAX + 4);
const optionAddress = Number(addressOf(option));

/** getsockopt(2) into OPTION; the bytes the kernel wrote, a view valid until the next call. */
function getSockOptInto(fd: number, level: number, name: number, size: number): number {
  if (size > OPTION_MAX) throw new Error(`getsockopt(${level}, ${name}): ${size} bytes is more than ${OPTION_MAX}`);
  option.writeUInt32LE(size, OPTION_MAX);
  const r = Number(native.syscall6(SYS_getsockopt, fd, level, name, optionAddress, optionAddress + OPTION_MAX, 0));
  if (r < 0) throw new SysError(`getsockopt(${level}, ${name}) of fd ${fd}`, errno());
  return option.readUInt32LE(OPTION_MAX);
}

/** getsockopt(2) into a buffer of `size` bytes; returns the bytes the kernel wrote. */
export function getSockOptBytes(fd: number, level: number, name: number, size: number): Buffer {
  return Buffer.from(option.subarray(0, getSockOptInto(fd, level, name, size)));
}

export function getSockOptInt(fd: number, level: number, name: number): number {
  getSockOptInto(fd, level, name, 4);
  return option.readInt32LE(0);
}

export function setSockOptBytes(fd: number, level: number, name: number, value: Buffer): void {
  checkedSyscall(`setsockopt(${level}, ${name}) of fd ${fd}`, SYS_setsockopt, fd, level, name, Number(addressOf(value)), value.length);
}

export function setSockOptInt(fd: number, level: number, name: number, value: number): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value, 0);
  setSockOptBytes(fd, level, name, buf);
}

/** The peer's credentials as the kernel recorded them at connect (SO_PEERCRED). */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } {
  const b = getSockOptBytes(fd, SOL_SOCKET, SO.PEERCRED, 12);
  return { pid: b.readInt32LE(0), uid: b.readUInt32LE(4), gid: b.readUInt32LE(8) };
}

/** send(2) of the whole buffer or what fits; -1 as EAGAIN on a non-blocking socket. */
export function sendBytes(fd: number, data: Buffer, flags = MSG.NOSIGNAL): number {
  const r = Number(native.syscall6(SYS_sendto, fd, Number(addressOf(data)), data.length, flags, 0, 0));
  if (r >= 0) return r;
  const e = errno();
  if (e === 11) return -1;
  throw new SysError(`send on fd ${fd}`, e);
}

/** sendto(2) with a destination (datagrams to an address); -1 as EAGAIN. */
export function sendBytesTo(fd: number, data: Buffer, to: SockAddr, flags = MSG.NOSIGNAL): number {
  const addr = encodeSockAddr(to);
  const r = Number(native.syscall6(SYS_sendto, fd, Number(addressOf(data)), data.length, flags, Number(addressOf(addr)), addr.length));
  if (r >= 0) return r;
  const e = errno();
  if (e === 11) return -1;
  throw new SysError(`sendto on fd ${fd}`, e);
}

/**
 * recvfrom(2) into `into`: the bytes received (the datagram's whole length with MSG_TRUNC) and its
 * sender; null as EAGAIN. With MSG_PEEK nothing is taken from the socket.
 */
export function receiveBytes(fd: number, into: Buffer, flags: number): { length: number; from: SockAddr | null } | null {
  const addr = Buffer.alloc(SOCKADDR_MAX);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(SOCKADDR_MAX, 0);
  const r = Number(native.syscall6(SYS_recvfrom, fd, Number(addressOf(into)), into.length, flags, Number(addressOf(addr)), Number(addressOf(len))));
  if (r < 0) {
    const e = errno();
    if (e === 11) return null;
    throw new SysError(`recv on fd ${fd}`, e);
  }
  const alen = Math.min(len.readUInt32LE(0), SOCKADDR_MAX);
  return { length: r, from: alen > 0 ? decodeSockAddr(addr.subarray(0, alen)) : null };
}

/** The raw numbers of sendmsg/recvmsg, for callers that build their own msghdr (SCM_RIGHTS). */
export const SOCKET_SYSCALLS = { sendmsg: SYS_sendmsg, recvmsg: SYS_recvmsg } as const;

/** The numbers of the calls that make and connect sockets, for injecting them into a task. */
export const SOCKET_MAKING_SYSCALLS = { socket: SYS_socket, connect: SYS_connect, bind: SYS_bind, listen: SYS_listen, socketpair: SYS_socketpair } as const;
