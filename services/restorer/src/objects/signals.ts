import type { Signals } from '@ferry/proto';
import { SYS, nonDefaultSignals, ptrace } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind, ThreadContext } from '../object-kind.js';
import { onePerTask, planned } from '../kind-records.js';

const ALL_SIGNALS = 0xffffffffffffffffn;

/** Every signal the image or the stub has a non-default action for gets the image's action, SIG_DFL included. */
function restoreSigactions(task: RestoringTask, signals: Signals): void {
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
function dropChildSignals(task: RestoringTask): void {
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
function queueSignals(task: RestoringTask, tid: number, siginfos: Buffer[], shared: boolean): void {
  const inj = task.thread(tid).injector;
  for (const info of siginfos) {
    const signo = info.readInt32LE(0);
    inj.resetScratch();
    const at = inj.put(info);
    if (shared) inj.call(`rt_sigqueueinfo(${signo})`, SYS.rt_sigqueueinfo, task.pid, signo, at);
    else inj.call(`rt_tgsigqueueinfo(${signo})`, SYS.rt_tgsigqueueinfo, task.pid, tid, signo, at);
  }
}

/**
 * Every thread blocks all signals; the leader, last, drops the SIGCHLDs of the restore and
 * queues the image's pending signals, the process's and each thread's.
 */
function restorePendingSignals({ task, core, cores }: ThreadContext, signals: Signals): void {
  ptrace.setSigmask(core.tid, ALL_SIGNALS);
  if (core.tid !== task.pid) return;
  dropChildSignals(task);
  queueSignals(task, task.pid, signals.sharedPending, true);
  for (const c of cores) queueSignals(task, c.tid, c.pending, false);
}

/** Handlers in RESTORE, after the task's attributes; pending signals in RESTORE_SIGCHLD. */
export const signalsKind: ObjectKind = {
  name: 'signals',
  check(image, tree) {
    const signals = onePerTask(image.byKind('signals'), tree, 'signals');
    return {
      perTask: { RESTORE: ({ task }) => restoreSigactions(task, planned(signals, task.pid)) },
      perThread: { RESTORE_SIGCHLD: (ctx) => restorePendingSignals(ctx, planned(signals, ctx.task.pid)) },
    };
  },
};
