import type { Signals } from '@ferry/proto';
import { SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

/** Every signal gets its action set, SIG_DFL included: the stub's dispositions must not leak through. */
export function restoreSigactions(task: RestoringTask, signals: Signals): void {
  const inj = task.injector;
  for (let signo = 1; signo <= 64; signo++) {
    if (signo === 9 || signo === 19) continue;
    const a = signals.actions.find((x) => x.signo === signo);
    const act = Buffer.alloc(32);
    if (a) {
      act.writeBigUInt64LE(a.handler, 0);
      act.writeBigUInt64LE(a.flags, 8);
      act.writeBigUInt64LE(a.restorer, 16);
      act.writeBigUInt64LE(a.mask, 24);
    }
    inj.resetScratch(64);
    inj.call(`rt_sigaction(${signo})`, SYS.rt_sigaction, signo, inj.put(act), 0, 8);
  }
}

/** Queued signals go back with their siginfo; the task's signals are all blocked meanwhile. */
export function queueSignals(task: RestoringTask, tid: number, siginfos: Buffer[], shared: boolean): void {
  const inj = task.injector;
  for (const info of siginfos) {
    const signo = info.readInt32LE(0);
    inj.resetScratch(64);
    const at = inj.put(info);
    if (shared) inj.call(`rt_sigqueueinfo(${signo})`, SYS.rt_sigqueueinfo, task.pid, signo, at);
    else inj.call(`rt_tgsigqueueinfo(${signo})`, SYS.rt_tgsigqueueinfo, task.pid, tid, signo, at);
  }
}
