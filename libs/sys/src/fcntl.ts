import { native, errno } from './libc.js';
import { SysError } from './errors.js';

// fcntl on ferry's own descriptors (not injected). Raw syscalls through glibc's syscall(), as
// kcmp.ts does: the libc wrappers are variadic, which koffi cannot bind once for every use.
export const SYS_fcntl = 72;
const F_DUPFD_CLOEXEC = 1030, F_SETFL = 4;

export const O_ACCMODE = 0o3;
export const O_NONBLOCK = 0o4000;
export const O_DIRECT = 0o40000;
export const O_LARGEFILE = 0o100000;
export const O_CLOEXEC = 0o2000000;

/** A raw syscall whose failure throws, naming WHAT. */
export function checkedSyscall(what: string, nr: number, ...args: number[]): number {
  const padded = [...args, 0, 0, 0, 0, 0, 0].slice(0, 6) as [number, number, number, number, number, number];
  const r = Number(native.syscall6(nr, ...padded));
  if (r < 0) throw new SysError(what, errno());
  return r;
}

/** Sets O_NONBLOCK, O_DIRECT, O_APPEND, ... of the open file description (F_SETFL). */
export function setStatusFlags(fd: number, flags: number): void {
  checkedSyscall('fcntl(F_SETFL)', SYS_fcntl, fd, F_SETFL, flags);
}

/** A close-on-exec duplicate numbered `lowest` or above (F_DUPFD_CLOEXEC). */
export function dupAtLeast(fd: number, lowest: number): number {
  return checkedSyscall(`fcntl(F_DUPFD_CLOEXEC) of fd ${fd}`, SYS_fcntl, fd, F_DUPFD_CLOEXEC, lowest);
}
