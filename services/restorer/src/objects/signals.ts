import type { Signals } from '@ferry/proto';
import { SYS, nonDefaultSignals, ptrace, runEach, type BatchCall } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind, ThreadContext } from '../object-kind.js';
import { onePerTask, planned } from '../kind-records.js';

const ALL_SIGNALS = 0xffffffffffffffffn;

/** Every signal the image or the stub has a non-default action for gets the image's action, SIG_DFL included. */
function restoreSigactions(task: RestoringTask, signals: Signals): void {
  // What the task has from the stub (ignored signals survive exec) must go back to default too.
  const signos = new Set([...nonDefaultSignals(task.pid), ...signals.actions.map((a) => a.signo)]);
  const calls: BatchCall[] = [];
  for (const signo of [...signos].sort((x, y) => x - y)) {
    const a = signals.actions.find((x) => x.signo === signo);
    const act = Buffer.alloc(32);
    if (a) {
      act.writeBigUInt64LE(a.handler, 0);
      act.writeBigUInt64LE(a.flags, 8);
      act.writeBigUInt64LE(a.restorer, 16);
      act.writeBigUInt64LE(a.mask, 24);
    }
    calls.push({ name: `rt_sigaction(${signo})`, nr: SYS.rt_sigaction, args: [signo, { data: act }, 0, 8] });
  }
  runEach(task.injector, calls);
}

const SIGCHLD = 17;
const EAGAIN = -11n;
const SYS_rt_sigtimedwait = 128;

/**
 * Zombies made during the restore, and children the stub had, left SIGCHLD pending in their
 * parents: drop those, so the task has exactly the signals the image says (RESTORE_SIGCHLD).
 */
function dropChildSignals(task: RestoringTask): void {
  const set = Buffer.alloc(8);
  set.writeBigUInt64LE(1n << BigInt(SIGCHLD - 1));
  // SIGCHLD does not queue: one wait takes it; the second finds none (a table of two, one stop).
  const wait: BatchCall = { name: 'rt_sigtimedwait(SIGCHLD)', nr: SYS_rt_sigtimedwait, args: [{ data: set }, { out: 128 }, { data: Buffer.alloc(16) }, 8], mayFail: true };
  for (let i = 0; i < 512; i++) if (runEach(task.injector, [wait, wait]).some((r) => r.ret === EAGAIN)) return;
}

/** Queued signals go back with their siginfo; the task's signals are all blocked meanwhile. */
function queueSignals(task: RestoringTask, tid: number, siginfos: Buffer[], shared: boolean): void {
  runEach(task.thread(tid).injector, siginfos.map((info): BatchCall => {
    const signo = info.readInt32LE(0);
    return shared
      ? { name: `rt_sigqueueinfo(${signo})`, nr: SYS.rt_sigqueueinfo, args: [task.pid, signo, { data: info }] }
      : { name: `rt_tgsigqueueinfo(${signo})`, nr: SYS.rt_tgsigqueueinfo, args: [task.pid, tid, signo, { data: info }] };
  }));
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
