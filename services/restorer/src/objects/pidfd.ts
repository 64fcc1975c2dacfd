import type { Fd, PidFd } from '@ferry/proto';
import { PIDFD_OPEN_FLAGS } from '@ferry/proto';
import { SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy } from '../kind-records.js';

const F_SETFD = 2, O_CLOEXEC = 0o2000000;

/**
 * Each pidfd is opened by its holder itself, on the pid it named (every task of the tree exists
 * by RESTORE); descriptors that shared one pidfd in the task share one again.
 */
function openPidFds(task: RestoringTask, fds: Fd[], pidfds: ReadonlyMap<string, PidFd>): void {
  const inj = task.injector;
  const first = new Map<string, number>();
  for (const f of fds) {
    const earlier = first.get(f.fileId);
    const pidfd = pidfds.get(f.fileId)!;
    const got = earlier ?? Number(inj.call(`pidfd_open of pid ${pidfd.pid} for fd ${f.fd}`, SYS.pidfd_open, pidfd.pid, pidfd.flags & PIDFD_OPEN_FLAGS));
    if (got === f.fd) {
      // pidfd_open always sets close-on-exec.
      if (!f.cloexec) inj.call('fcntl(F_SETFD)', SYS.fcntl, got, F_SETFD, 0);
    } else {
      inj.call(`dup3 to fd ${f.fd}`, SYS.dup3, got, f.fd, f.cloexec ? O_CLOEXEC : 0);
      if (earlier === undefined) inj.raw(SYS.close, got);
    }
    if (earlier === undefined) first.set(f.fileId, f.fd);
  }
}

/** pidfds on the tree's own live tasks. */
export const pidFdKind: ObjectKind = {
  name: 'pidfd',
  files: (image) => image.byKind('pidfd').map((f) => ({ id: f.id, openedByTask: true })),
  check(image, tree) {
    const pidfds = new Map(image.byKind('pidfd').map((p) => [p.id, p]));
    for (const p of pidfds.values()) {
      if (!tree.isLive(p.pid)) throw new PlanError(`image: pidfd ${p.id} refers to pid ${p.pid}, which is not a live task of the tree`);
    }
    const fdsOf = groupBy(image.byKind('fd').filter((f) => pidfds.has(f.fileId)), (f) => f.pid);
    return { perTask: { RESTORE: ({ task }) => openPidFds(task, fdsOf.get(task.pid) ?? [], pidfds) } };
  },
};
