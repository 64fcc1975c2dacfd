import { native, errno, addressOf } from './libc.js';
import { SysError } from './errors.js';
import { SYS } from './syscalls.js';
import { foregroundGroup, setForegroundGroup } from './tty.js';

const SIG_BLOCK = 0, SIG_SETMASK = 2, SIGTTOU = 22;

/** Runs FN with SIGTTOU blocked in this thread, as shells do around tcsetpgrp from the background. */
function withoutSigttou<T>(fn: () => T): T {
  const set = Buffer.alloc(8), old = Buffer.alloc(8);
  set.writeBigUInt64LE(1n << BigInt(SIGTTOU - 1));
  if (native.syscall6(SYS.rt_sigprocmask, SIG_BLOCK, Number(addressOf(set)), Number(addressOf(old)), 8, 0, 0) < 0) throw new SysError('rt_sigprocmask', errno());
  try {
    return fn();
  } finally {
    native.syscall6(SYS.rt_sigprocmask, SIG_SETMASK, Number(addressOf(old)), 0, 8, 0, 0);
  }
}

/**
 * Makes PGRP the foreground group of the terminal on FD (our controlling terminal), and returns
 * the group that had it, to hand the terminal back later.
 */
export function handTerminalTo(fd: number, pgrp: number): number {
  return withoutSigttou(() => {
    const before = foregroundGroup(fd);
    setForegroundGroup(fd, pgrp);
    return before;
  });
}
