import fs from 'node:fs';
import { checkedSyscall } from './fcntl.js';
import { SYS } from './syscalls.js';

/**
 * A duplicate, in ferry, of descriptor FD of process PID: the same open file description, so
 * ioctls and reads act on what the process holds (a pty master cannot be reopened by path).
 * Needs ptrace access to PID. The copy is close-on-exec.
 */
export function copyFdOf(pid: number, fd: number): number {
  const pidfd = checkedSyscall(`pidfd_open of ${pid}`, SYS.pidfd_open, pid, 0);
  try {
    return checkedSyscall(`pidfd_getfd of fd ${fd} of ${pid}`, SYS.pidfd_getfd, pidfd, fd, 0);
  } finally {
    fs.closeSync(pidfd);
  }
}

/** copyFdOf for each of FDS, through one pidfd; on a failure the copies made are closed. */
export function copyFdsOf(pid: number, fds: readonly number[]): number[] {
  const pidfd = checkedSyscall(`pidfd_open of ${pid}`, SYS.pidfd_open, pid, 0);
  const copies: number[] = [];
  try {
    for (const fd of fds) copies.push(checkedSyscall(`pidfd_getfd of fd ${fd} of ${pid}`, SYS.pidfd_getfd, pidfd, fd, 0));
    return copies;
  } catch (e) {
    for (const c of copies) fs.closeSync(c);
    throw e;
  } finally {
    fs.closeSync(pidfd);
  }
}
