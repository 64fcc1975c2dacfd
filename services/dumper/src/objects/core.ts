import fs from 'node:fs';
import type { Core, SigAltStack } from '@ferry/proto';
import { ptrace, SYS, foldSyscallRestart, getRobustList } from '@ferry/sys';
import type { FrozenTask, FrozenThread } from '../frozen-task.js';

const PR_GET_TID_ADDRESS = 40;

function altStack(task: FrozenTask, tid: number): SigAltStack {
  const inj = task.inject(tid);
  inj.resetScratch();
  const out = inj.reserve(24);
  inj.call('sigaltstack', SYS.sigaltstack, 0, out);
  const raw = inj.mem.read(out, 24);
  return { sp: raw.readBigUInt64LE(0), flags: raw.readUInt32LE(8), size: raw.readBigUInt64LE(16) };
}

/** set_tid_address is write-only from outside; the thread itself can tell. */
function clearChildTid(task: FrozenTask, tid: number): bigint {
  const inj = task.inject(tid);
  inj.resetScratch();
  const out = inj.reserve(8);
  inj.call('prctl(PR_GET_TID_ADDRESS)', SYS.prctl, PR_GET_TID_ADDRESS, out, 0, 0, 0);
  return inj.mem.read(out, 8).readBigUInt64LE(0);
}

export function collectCore(task: FrozenTask, thread: FrozenThread): Core {
  const tid = thread.tid;
  const rseq = ptrace.getRseq(tid);
  const robust = getRobustList(tid);
  return {
    pid: task.pid,
    tid,
    regs: foldSyscallRestart(thread.regs, true),
    xstate: ptrace.getXstate(tid),
    blocked: thread.blocked,
    altstack: altStack(task, tid),
    pending: ptrace.peekSiginfo(tid, false),
    comm: fs.readFileSync(`/proc/${task.pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, ''),
    rseq: { pointer: rseq.pointer, size: rseq.size, signature: rseq.signature },
    clearChildTid: clearChildTid(task, tid),
    robustList: robust.head,
    robustListLen: robust.len,
  };
}
