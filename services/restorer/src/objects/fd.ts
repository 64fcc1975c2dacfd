import type { Fd } from '@ferry/proto';
import { SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy } from '../kind-records.js';

const F_SETFD = 2, F_DUPFD_CLOEXEC = 1030, FD_CLOEXEC = 1, O_CLOEXEC = 0o2000000;

/**
 * Each descriptor is taken from ferry with pidfd_getfd, so descriptors that share an open file
 * in the image share ferry's one open file too. The pidfd sits above every descriptor the image
 * uses, so that installing them never overwrites it.
 */
function installFds(task: RestoringTask, fds: Fd[], opened: ReadonlyMap<string, number>): void {
  if (fds.length === 0) return;
  const inj = task.injector;
  const highest = Math.max(...fds.map((f) => f.fd));
  const first = inj.call('pidfd_open of ferry', SYS.pidfd_open, process.pid, 0);
  const pidfd = inj.call('fcntl(F_DUPFD_CLOEXEC)', SYS.fcntl, first, F_DUPFD_CLOEXEC, highest + 1);
  inj.raw(SYS.close, first);
  try {
    for (const f of fds) {
      const source = opened.get(f.fileId);
      if (source === undefined) throw new Error(`fd ${f.fd} of pid ${f.pid} names file ${f.fileId}, which was not opened`);
      const got = inj.call(`pidfd_getfd for fd ${f.fd}`, SYS.pidfd_getfd, pidfd, source, 0);
      if (Number(got) === f.fd) {
        inj.call('fcntl(F_SETFD)', SYS.fcntl, got, F_SETFD, f.cloexec ? FD_CLOEXEC : 0);
      } else {
        inj.call(`dup3 to fd ${f.fd}`, SYS.dup3, got, f.fd, f.cloexec ? O_CLOEXEC : 0);
        inj.raw(SYS.close, got);
      }
    }
  } finally {
    inj.raw(SYS.close, pidfd);
  }
}

/** Descriptors: each names a file object of the image, once per number and task. */
export const fdKind: ObjectKind = {
  name: 'fd',
  check(image, tree) {
    const fdsOf = groupBy(image.byKind('fd'), (f) => f.pid);
    const fromFerry = new Map<number, Fd[]>();
    for (const { pid } of tree.live) {
      const fds = fdsOf.get(pid) ?? [];
      const seen = new Set<number>();
      for (const f of fds) {
        if (seen.has(f.fd)) throw new PlanError(`image: pid ${pid} has fd ${f.fd} twice`);
        seen.add(f.fd);
        if (!tree.fileIds.has(f.fileId)) throw new PlanError(`image: fd fd:${pid}:${f.fd} names file ${f.fileId}, which the image does not have`);
      }
      fromFerry.set(pid, fds.filter((f) => !tree.openedByTask.has(f.fileId)));
    }
    return { perTask: { RESTORE: ({ task, opened }) => installFds(task, fromFerry.get(task.pid) ?? [], opened) } };
  },
};
