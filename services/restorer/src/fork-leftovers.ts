import { SYS, ptrace } from '@ferry/sys';
import type { RestoringTask } from './restoring-task.js';

const RSEQ_FLAG_UNREGISTER = 1;

/**
 * What a fresh task has from the stub and the image does not: glibc's rseq registration, which
 * points at memory that is about to go, and every descriptor; the image's come in afterwards.
 */
export function dropForkLeftovers(task: RestoringTask): void {
  const rseq = ptrace.getRseq(task.pid);
  if (rseq.pointer !== 0n) task.injector.call('rseq unregister', SYS.rseq, rseq.pointer, rseq.size, RSEQ_FLAG_UNREGISTER, rseq.signature);
  task.injector.call('close_range', SYS.close_range, 0, 0xffffffff, 0);
}
