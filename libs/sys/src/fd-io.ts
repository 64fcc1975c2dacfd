import { native, errno } from './libc.js';
import { SYS } from './syscalls.js';

// Plain I/O on ferry's own descriptors for loops that run outside libuv (a worker thread that owns
// a socket): each call returns the kernel's answer, -errno on failure, so a loop can wait on
// EAGAIN and retry EINTR without an exception per call.
export const EINTR = 4;
export const EAGAIN = 11;
export const POLLIN = 0x1;
export const POLLOUT = 0x4;
export const SPLICE_F_MOVE = 1;
export const SPLICE_F_NONBLOCK = 2;
export const SPLICE_F_MORE = 4;

function raw(nr: number, a = 0, b = 0, c = 0, d = 0, e = 0, f = 0): number {
  const r = Number(native.syscall6(nr, a, b, c, d, e, f));
  return r < 0 ? -errno() : r;
}

export function readRaw(fd: number, address: number, length: number): number {
  return raw(SYS.read, fd, address, length);
}

export function writeRaw(fd: number, address: number, length: number): number {
  return raw(SYS.write, fd, address, length);
}

/** splice(2); OFFSET_IN / OFFSET_OUT are addresses of 64-bit offsets (0: the descriptor's own position, or none for a pipe or socket). */
export function spliceRaw(fdIn: number, offsetIn: number, fdOut: number, offsetOut: number, length: number, flags: number): number {
  return raw(SYS.splice, fdIn, offsetIn, fdOut, offsetOut, length, flags);
}

/** Waits up to TIMEOUT_MS for EVENTS on FD; returns its revents, 0 on timeout, -errno on failure. */
export function pollOne(fd: number, events: number, timeoutMs: number, scratch: Buffer, scratchAddress: number): number {
  scratch.writeInt32LE(fd, 0);
  scratch.writeInt16LE(events, 4);
  scratch.writeInt16LE(0, 6);
  const r = raw(SYS.poll, scratchAddress, 1, timeoutMs);
  return r <= 0 ? r : scratch.readInt16LE(6);
}

export function fdatasyncRaw(fd: number): number {
  return raw(SYS.fdatasync, fd);
}

export function ftruncateRaw(fd: number, length: number): number {
  return raw(SYS.ftruncate, fd, length);
}

export function closeRaw(fd: number): number {
  return raw(SYS.close, fd);
}
