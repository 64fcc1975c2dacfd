import type { Core } from '@ferry/proto';
import { SYS, ptrace, runEach, type BatchCall } from '@ferry/sys';
import type { RestoringTask, RestoringThread } from '../restoring-task.js';
import { cloneWithPid } from '../fork.js';

const SS_ONSTACK = 1, SS_DISABLE = 2;
const PR_SET_NAME = 15;

/** The other threads, each with its tid, made inside the process once its memory is back. */
export function createThreads(task: RestoringTask, cores: Core[]): void {
  for (const core of cores.slice(1)) task.addThread(cloneWithPid(task.injector, core.tid, 'thread'));
}

export function restoreThreadState(thread: RestoringThread, core: Core): void {
  const inj = thread.injector;
  const ss = core.altstack;
  const buf = Buffer.alloc(24);
  const disabled = (ss.flags & SS_DISABLE) !== 0;
  buf.writeBigUInt64LE(disabled ? 0n : ss.sp, 0);
  buf.writeUInt32LE((ss.flags & ~SS_ONSTACK) >>> 0, 8);
  buf.writeBigUInt64LE(disabled ? 0n : ss.size, 16);
  const calls: BatchCall[] = [
    { name: 'sigaltstack', nr: SYS.sigaltstack, args: [{ data: buf }, 0] },
    { name: 'set_tid_address', nr: SYS.set_tid_address, args: [core.clearChildTid] },
  ];
  if (core.robustList !== 0n) calls.push({ name: 'set_robust_list', nr: SYS.set_robust_list, args: [core.robustList, core.robustListLen] });
  calls.push({ name: 'prctl(PR_SET_NAME)', nr: SYS.prctl, args: [PR_SET_NAME, { data: Buffer.from(core.comm.slice(0, 15) + '\0') }, 0, 0, 0] });
  if (core.rseq.pointer !== 0n) calls.push({ name: 'rseq', nr: SYS.rseq, args: [core.rseq.pointer, core.rseq.size, 0, core.rseq.signature] });
  runEach(inj, calls);
}

/** At the thread's last stop: its own registers, FPU state and signal mask. */
export function setFinalRegisters(thread: RestoringThread, core: Core): void {
  ptrace.setRegs(thread.tid, core.regs);
  ptrace.setXstate(thread.tid, core.xstate);
  ptrace.setSigmask(thread.tid, core.blocked);
}

/**
 * The leader's last injected call removes the scratch page, once every other thread is done
 * with it; then each thread takes its registers, and the process is ready to be released.
 */
export function finishTask(task: RestoringTask, cores: Core[]): void {
  task.injector.call('munmap of the restorer page', SYS.munmap, task.scratch.addr, task.scratch.size);
  cores.forEach((core) => setFinalRegisters(task.thread(core.tid), core));
}
