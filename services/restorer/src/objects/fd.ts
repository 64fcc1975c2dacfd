import type { Fd } from '@ferry/proto';
import { SYS, runCalls } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy } from '../kind-records.js';

const F_SETFD = 2, F_DUPFD_CLOEXEC = 1030, FD_CLOEXEC = 1;

/**
 * Each descriptor is taken from ferry with pidfd_getfd, so descriptors that share an open file
 * in the image share ferry's one open file too. The pidfd sits above every descriptor the image
 * uses, so that installing them never overwrites it. All of a task's descriptors go in one table
 * of injected calls (inject-batch.ts): a group per descriptor, its dup3 and close skipped when
 * pidfd_getfd put it where it belongs already.
 */
function installFds(task: RestoringTask, fds: Fd[], opened: ReadonlyMap<string, number>): void {
  if (fds.length === 0) return;
  const inj = task.injector;
  const highest = Math.max(...fds.map((f) => f.fd));
  const [opening] = runCalls(inj, [[
    { name: 'pidfd_open of ferry', nr: SYS.pidfd_open, args: [process.pid, 0] },
    { name: 'fcntl(F_DUPFD_CLOEXEC)', nr: SYS.fcntl, args: [{ result: 0 }, F_DUPFD_CLOEXEC, highest + 1] },
    { name: 'close', nr: SYS.close, args: [{ result: 0 }], mayFail: true },
  ]]);
  const pidfd = Number(opening![1]!.ret);
  try {
    runCalls(inj, fds.map((f) => {
      const source = opened.get(f.fileId);
      if (source === undefined) throw new Error(`fd ${f.fd} of pid ${f.pid} names file ${f.fileId}, which was not opened`);
      return [
        { name: `pidfd_getfd for fd ${f.fd}`, nr: SYS.pidfd_getfd, args: [pidfd, source, 0] },
        { name: `dup3 to fd ${f.fd}`, nr: SYS.dup3, args: [{ result: 0 }, f.fd, 0], skipIfSame: true },
        { name: 'close', nr: SYS.close, args: [{ result: 0 }, f.fd], skipIfSame: true, mayFail: true },
        { name: `fcntl(F_SETFD) of fd ${f.fd}`, nr: SYS.fcntl, args: [f.fd, F_SETFD, f.cloexec ? FD_CLOEXEC : 0] },
      ];
    }));
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
