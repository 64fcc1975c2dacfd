import { native, errno, addressOf } from './libc.js';
import { SysError } from './errors.js';

// Pipe and descriptor calls made on ferry's own descriptors (not injected). Raw syscalls through
// glibc's syscall(), as kcmp.ts does: koffi has no portable way to call variadic fcntl and ioctl.
const SYS_ioctl = 16, SYS_fcntl = 72, SYS_tee = 276, SYS_pipe2 = 293;
const F_DUPFD_CLOEXEC = 1030, F_GETFL = 3, F_SETFL = 4, F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
const FIONREAD = 0x541b;
const SPLICE_F_NONBLOCK = 2;

export const O_ACCMODE = 0o3;
export const O_NONBLOCK = 0o4000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_CLOEXEC = 0o2000000;

function call(what: string, nr: number, ...args: number[]): number {
  const padded = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6) as [number, number, number, number, number, number];
  const r = Number(native.syscall6(nr, ...padded));
  if (r < 0) throw new SysError(what, errno());
  return r;
}

/** A new pipe: [read end, write end]. */
export function makePipe(flags = O_CLOEXEC): [number, number] {
  const fds = Buffer.alloc(8);
  call('pipe2', SYS_pipe2, Number(addressOf(fds)), flags);
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

/** The pipe's buffer capacity in bytes (F_GETPIPE_SZ). */
export function pipeSize(fd: number): number {
  return call('fcntl(F_GETPIPE_SZ)', SYS_fcntl, fd, F_GETPIPE_SZ);
}

/**
 * Sets the pipe's capacity; the kernel rounds it up to a power-of-two number of pages and returns
 * it. Above fs.pipe-max-size this needs CAP_SYS_RESOURCE (EPERM otherwise).
 */
export function setPipeSize(fd: number, bytes: number): number {
  return call(`fcntl(F_SETPIPE_SZ, ${bytes})`, SYS_fcntl, fd, F_SETPIPE_SZ, bytes);
}

/** Bytes waiting to be read from the pipe (FIONREAD). */
export function queuedBytes(fd: number): number {
  const out = Buffer.alloc(4);
  call('ioctl(FIONREAD)', SYS_ioctl, fd, FIONREAD, Number(addressOf(out)));
  return out.readInt32LE(0);
}

/**
 * Copies up to `length` bytes queued in pipe `from` into pipe `to` without consuming them (tee(2)).
 * Never blocks: returns what fit, 0 when nothing is queued.
 */
export function teePipe(from: number, to: number, length: number): number {
  const r = Number(native.syscall6(SYS_tee, from, to, length, SPLICE_F_NONBLOCK, 0, 0));
  if (r >= 0) return r;
  const e = errno();
  if (e === 11 /* EAGAIN */) return 0;
  throw new SysError('tee', e);
}

/** The open file description's status flags (F_GETFL). */
export function statusFlags(fd: number): number {
  return call('fcntl(F_GETFL)', SYS_fcntl, fd, F_GETFL);
}

/** Sets O_NONBLOCK, O_DIRECT, O_APPEND, ... of the open file description (F_SETFL). */
export function setStatusFlags(fd: number, flags: number): void {
  call('fcntl(F_SETFL)', SYS_fcntl, fd, F_SETFL, flags);
}

/** A close-on-exec duplicate numbered `lowest` or above (F_DUPFD_CLOEXEC). */
export function dupAtLeast(fd: number, lowest: number): number {
  return call(`fcntl(F_DUPFD_CLOEXEC) of fd ${fd}`, SYS_fcntl, fd, F_DUPFD_CLOEXEC, lowest);
}
