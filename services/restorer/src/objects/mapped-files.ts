import { SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

/**
 * A descriptor of the task's own on what ferry opened for a mapping (a memfd or ghost file, whose
 * path no longer opens it), taken from ferry with pidfd_getfd; the caller closes it once mapped.
 */
export function takeMappedFile(task: RestoringTask, opened: ReadonlyMap<string, number>, fileId: string): bigint {
  const source = opened.get(fileId);
  if (source === undefined) throw new Error(`a mapping of pid ${task.pid} maps file ${fileId}, which was not opened`);
  const inj = task.injector;
  const pidfd = inj.call('pidfd_open of ferry', SYS.pidfd_open, process.pid, 0);
  try {
    return inj.call(`pidfd_getfd of mapped file ${fileId}`, SYS.pidfd_getfd, pidfd, source, 0);
  } finally {
    inj.raw(SYS.close, pidfd);
  }
}
