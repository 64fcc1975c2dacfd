import fs from 'node:fs';
import type { Core, SigAltStack } from '@ferry/proto';
import { ptrace, SYS, foldSyscallRestart } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';

function altStack(task: FrozenTask): SigAltStack {
  const inj = task.inject();
  inj.resetScratch();
  const out = inj.reserve(24);
  inj.call('sigaltstack', SYS.sigaltstack, 0, out);
  const raw = inj.mem.read(out, 24);
  return { sp: raw.readBigUInt64LE(0), flags: raw.readUInt32LE(8), size: raw.readBigUInt64LE(16) };
}

export function collectCore(task: FrozenTask, tid: number): Core {
  const rseq = ptrace.getRseq(tid);
  return {
    pid: task.pid,
    tid,
    regs: foldSyscallRestart(task.regs, true),
    xstate: ptrace.getXstate(tid),
    blocked: task.blocked,
    altstack: altStack(task),
    pending: ptrace.peekSiginfo(tid, false),
    comm: fs.readFileSync(`/proc/${task.pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, ''),
    rseq: { pointer: rseq.pointer, size: rseq.size, signature: rseq.signature },
  };
}
