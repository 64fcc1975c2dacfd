import { native, errno, addressOf } from './libc.js';
import { SysError } from './errors.js';
import { checkedSyscall, SYS_fcntl, O_CLOEXEC } from './fcntl.js';

// Pipe calls made on ferry's own descriptors (not injected).
const SYS_ioctl = 16, SYS_tee = 276, SYS_pipe2 = 293;
const F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;
const FIONREAD = 0x541b;
const SPLICE_F_NONBLOCK = 2;

/** A new pipe: [read end, write end]. */
export function makePipe(flags = O_CLOEXEC): [number, number] {
  const fds = Buffer.alloc(8);
  checkedSyscall('pipe2', SYS_pipe2, Number(addressOf(fds)), flags);
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

/** The pipe's buffer capacity in bytes (F_GETPIPE_SZ). */
export function pipeSize(fd: number): number {
  return checkedSyscall('fcntl(F_GETPIPE_SZ)', SYS_fcntl, fd, F_GETPIPE_SZ);
}

/**
 * Sets the pipe's capacity; the kernel rounds it up to a power-of-two number of pages and returns
 * it. Above fs.pipe-max-size this needs CAP_SYS_RESOURCE (EPERM otherwise).
 */
export function setPipeSize(fd: number, bytes: number): number {
  return checkedSyscall(`fcntl(F_SETPIPE_SZ, ${bytes})`, SYS_fcntl, fd, F_SETPIPE_SZ, bytes);
}

/** Bytes waiting to be read from the pipe (FIONREAD). */
export function queuedBytes(fd: number): number {
  const out = Buffer.alloc(4);
  checkedSyscall('ioctl(FIONREAD)', SYS_ioctl, fd, FIONREAD, Number(addressOf(out)));
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
