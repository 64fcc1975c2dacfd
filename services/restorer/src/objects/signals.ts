import type { Signals } from '@ferry/proto';
import { SYS, nonDefaultSignals } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

/** Every signal the image or the stub has a non-default action for gets the image's action, SIG_DFL included. */
export function restoreSigactions(task: RestoringTask, signals: Signals): void {
  const inj = task.injector;
  // What the task has from the stub (ignored signals survive exec) must go back to default too.
  const signos = new Set([...nonDefaultSignals(task.pid), ...signals.actions.map((a) => a.signo)]);
  for (const signo of [...signos].sort((x, y) => x - y)) {
    const a = signals.actions.find((x) => x.signo === signo);
    const act = Buffer.alloc(32);
    if (a) {
      act.writeBigUInt64LE(a.handler, 0);
      act.writeBigUInt64LE(a.flags, 8);
      act.writeBigUInt64LE(a.restorer, 16);
      act.writeBigUInt64LE(a.mask, 24);
    }
    inj.resetScratch();
    inj.call(`rt_sigaction(${signo})`, SYS.rt_sigaction, signo, inj.put(act), 0, 8);
  }
}

const SIGCHLD = 17;
const EAGAIN = -11n;
const SYS_rt_sigtimedwait = 128;

/**
 * Zombies made during the restore, and children the stub had, left SIGCHLD pending in their
 * parents: drop those, so the task has exactly the signals the image says (RESTORE_SIGCHLD).
 */
export function dropChildSignals(task: RestoringTask): void {
  const inj = task.injector;
  inj.resetScratch();
  const set = Buffer.alloc(8);
  set.writeBigUInt64LE(1n << BigInt(SIGCHLD - 1));
  const at = inj.put(set);
  const noWait = inj.put(Buffer.alloc(16));
  const info = inj.reserve(128);
  for (let i = 0; i < 1024; i++) if (inj.raw(SYS_rt_sigtimedwait, at, info, noWait, 8) === EAGAIN) return;
}

/** Queued signals go back with their siginfo; the task's signals are all blocked meanwhile. */
export function queueSignals(task: RestoringTask, tid: number, siginfos: Buffer[], shared: boolean): void {
  const inj = task.thread(tid).injector;
  for (const info of siginfos) {
    const signo = info.readInt32LE(0);
    inj.resetScratch();
    const at = inj.put(info);
    if (shared) inj.call(`rt_sigqueueinfo(${signo})`, SYS.rt_sigqueueinfo, task.pid, signo, at);
    else inj.call(`rt_tgsigqueueinfo(${signo})`, SYS.rt_tgsigqueueinfo, task.pid, tid, signo, at);
  }
}
