import fs from 'node:fs';
import type { Core, SigAltStack } from '@ferry/proto';
import { ptrace, SYS, foldSyscallRestart, getRobustList, runEach, type Injector } from '@ferry/sys';
import type { FrozenTask, FrozenThread } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';

const PR_GET_TID_ADDRESS = 40;

/** The alternate signal stack, and the clear-child-tid address (set_tid_address is write-only from outside; the thread itself can tell). */
function askThread(inj: Injector): { altstack: SigAltStack; clearChildTid: bigint } {
  const [ss, tid] = runEach(inj, [
    { name: 'sigaltstack', nr: SYS.sigaltstack, args: [0, { out: 24 }] },
    { name: 'prctl(PR_GET_TID_ADDRESS)', nr: SYS.prctl, args: [PR_GET_TID_ADDRESS, { out: 8 }, 0, 0, 0] },
  ]);
  const raw = ss!.out!;
  return { altstack: { sp: raw.readBigUInt64LE(0), flags: raw.readUInt32LE(8), size: raw.readBigUInt64LE(16) }, clearChildTid: tid!.out!.readBigUInt64LE(0) };
}

function collectCore(task: FrozenTask, thread: FrozenThread): Core {
  const tid = thread.tid;
  const rseq = ptrace.getRseq(tid);
  const robust = getRobustList(tid);
  // First, for a thread's first injection may show its true mask (see FrozenTask.adoptSavedMask).
  const injected = task.injecting(tid, { scratch: true }, askThread);
  return {
    pid: task.pid,
    tid,
    regs: foldSyscallRestart(thread.regs, true),
    xstate: ptrace.getXstate(tid),
    blocked: thread.blocked,
    altstack: injected.altstack,
    pending: ptrace.peekSiginfo(tid, false),
    comm: fs.readFileSync(`/proc/${task.pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, ''),
    rseq: { pointer: rseq.pointer, size: rseq.size, signature: rseq.signature },
    clearChildTid: injected.clearChildTid,
    robustList: robust.head,
    robustListLen: robust.len,
  };
}

/** One record per thread. */
export const coreCollector: TaskCollector = {
  name: 'threads',
  async collect(task, _dump, sink) {
    for (const thread of task.threads) await sink.put('core', `core:${thread.tid}`, collectCore(task, thread));
    return `${task.threads.length} threads`;
  },
};
