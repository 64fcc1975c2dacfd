import type { Fd, TtyFile } from '@ferry/proto';
import { SYS, AT_FDCWD } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

const O_CLOEXEC = 0o2000000;

/**
 * /dev/tty descriptors are opened by the task itself once its controlling terminal is back: the
 * file must be /dev/tty, not the pty it stands for, and only the task's own session reaches it.
 */
export function reopenDevTty(task: RestoringTask, fds: Fd[], files: ReadonlyMap<string, TtyFile>): void {
  const inj = task.injector;
  for (const f of fds) {
    const file = files.get(f.fileId)!;
    inj.resetScratch();
    const got = inj.call(`open /dev/tty for fd ${f.fd}`, SYS.openat, AT_FDCWD, inj.putString('/dev/tty'), file.flags | (f.cloexec ? O_CLOEXEC : 0), 0);
    if (Number(got) === f.fd) continue;
    inj.call(`dup3 to fd ${f.fd}`, SYS.dup3, got, f.fd, f.cloexec ? O_CLOEXEC : 0);
    inj.raw(SYS.close, got);
  }
}
