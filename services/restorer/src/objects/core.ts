import type { Core } from '@ferry/proto';
import { SYS, ptrace } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

const SS_ONSTACK = 1, SS_DISABLE = 2;
const RSEQ_FLAG_UNREGISTER = 1;

/** glibc registers rseq; a clone inherits the stub's registration, which points at memory that is gone. */
export function dropInheritedRseq(task: RestoringTask): void {
  const rseq = ptrace.getRseq(task.pid);
  if (rseq.pointer !== 0n) task.injector.call('rseq unregister', SYS.rseq, rseq.pointer, rseq.size, RSEQ_FLAG_UNREGISTER, rseq.signature);
}

export function restoreThreadState(task: RestoringTask, core: Core): void {
  const inj = task.injector;
  const ss = core.altstack;
  if (ss) {
    const buf = Buffer.alloc(24);
    const disabled = (ss.flags & SS_DISABLE) !== 0;
    buf.writeBigUInt64LE(disabled ? 0n : ss.sp, 0);
    buf.writeUInt32LE((ss.flags & ~SS_ONSTACK) >>> 0, 8);
    buf.writeBigUInt64LE(disabled ? 0n : ss.size, 16);
    inj.resetScratch(64);
    inj.call('sigaltstack', SYS.sigaltstack, inj.put(buf), 0);
  }
  if (core.rseq && core.rseq.pointer !== 0n) {
    inj.call('rseq', SYS.rseq, core.rseq.pointer, core.rseq.size, 0, core.rseq.signature);
  }
}

/**
 * The last injected call removes the scratch page; at its exit stop the task takes its own
 * registers, FPU state and signal mask, and is ready to be released.
 */
export function finishTask(task: RestoringTask, core: Core): void {
  const inj = task.injector;
  inj.call('munmap of the restorer page', SYS.munmap, task.scratch.addr, task.scratch.size);
  ptrace.setRegs(task.pid, core.regs);
  ptrace.setXstate(task.pid, core.xstate);
  ptrace.setSigmask(task.pid, core.blocked);
}
