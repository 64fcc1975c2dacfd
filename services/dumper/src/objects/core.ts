import fs from 'node:fs';
import type { Core, SigAltStack } from '@ferry/proto';
import { ptrace, SYS, foldSyscallRestart, getRobustList, type Injector } from '@ferry/sys';
import type { FrozenTask, FrozenThread } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';

const PR_GET_TID_ADDRESS = 40;

function altStack(inj: Injector): SigAltStack {
  inj.resetScratch();
  const out = inj.reserve(24);
  inj.call('sigaltstack', SYS.sigaltstack, 0, out);
  const raw = inj.mem.read(out, 24);
  return { sp: raw.readBigUInt64LE(0), flags: raw.readUInt32LE(8), size: raw.readBigUInt64LE(16) };
}

/** set_tid_address is write-only from outside; the thread itself can tell. */
function clearChildTid(inj: Injector): bigint {
  inj.resetScratch();
  const out = inj.reserve(8);
  inj.call('prctl(PR_GET_TID_ADDRESS)', SYS.prctl, PR_GET_TID_ADDRESS, out, 0, 0, 0);
  return inj.mem.read(out, 8).readBigUInt64LE(0);
}

function collectCore(task: FrozenTask, thread: FrozenThread): Core {
  const tid = thread.tid;
  const rseq = ptrace.getRseq(tid);
  const robust = getRobustList(tid);
  // First, for a thread's first injection may show its true mask (see FrozenTask.adoptSavedMask).
  const injected = task.injecting(tid, { scratch: true }, (inj) => ({ altstack: altStack(inj), clearChildTid: clearChildTid(inj) }));
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
