import fs from 'node:fs';
import { checkedSyscall } from './fcntl.js';
import { SYS } from './syscalls.js';

/**
 * A duplicate, in ferry, of descriptor FD of process PID: the same open file description, so
 * ioctls and reads act on what the process holds (a pty master cannot be reopened by path).
 * Needs ptrace access to PID. The copy is close-on-exec.
 */
export function copyFdOf(pid: number, fd: number): number {
  const pidfd = openPidFd(pid);
  try {
    return copyFdThrough(pidfd, pid, fd);
  } finally {
    fs.closeSync(pidfd);
  }
}

/** A pidfd of PID (close-on-exec), for many copyFdThrough calls. */
export function openPidFd(pid: number): number {
  return checkedSyscall(`pidfd_open of ${pid}`, SYS.pidfd_open, pid, 0);
}

/** copyFdOf through PIDFD, an open pidfd of PID: one syscall where copyFdOf makes three. */
export function copyFdThrough(pidfd: number, pid: number, fd: number): number {
  return checkedSyscall(`pidfd_getfd of fd ${fd} of ${pid}`, SYS.pidfd_getfd, pidfd, fd, 0);
}

/** copyFdOf for each of FDS, through one pidfd; on a failure the copies made are closed. */
export function copyFdsOf(pid: number, fds: readonly number[]): number[] {
  const pidfd = openPidFd(pid);
  const copies: number[] = [];
  try {
    for (const fd of fds) copies.push(copyFdThrough(pidfd, pid, fd));
    return copies;
  } catch (e) {
    for (const c of copies) fs.closeSync(c);
    throw e;
  } finally {
    fs.closeSync(pidfd);
  }
}
