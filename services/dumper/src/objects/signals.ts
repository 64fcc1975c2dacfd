import type { Signals, SigAction } from '@ferry/proto';
import { ptrace, SYS, isSyscallError } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';

const SIG_DFL = 0n;
const KSIGACTION_SIZE = 32; // handler, flags, restorer, mask

/** Handlers are read by running rt_sigaction inside the task: /proc shows only masks. */
export function collectSignals(task: FrozenTask): Signals {
  const inj = task.inject(task.pid);
  inj.resetScratch();
  const out = inj.reserve(KSIGACTION_SIZE);
  const actions: SigAction[] = [];
  for (let signo = 1; signo <= 64; signo++) {
    if (signo === 9 || signo === 19) continue;
    const ret = inj.raw(SYS.rt_sigaction, signo, 0, out, 8);
    if (isSyscallError(ret)) continue;
    const raw = inj.mem.read(out, KSIGACTION_SIZE);
    const handler = raw.readBigUInt64LE(0);
    const flags = raw.readBigUInt64LE(8);
    const mask = raw.readBigUInt64LE(24);
    if (handler === SIG_DFL && flags === 0n && mask === 0n) continue;
    actions.push({ signo, handler, flags, restorer: raw.readBigUInt64LE(16), mask });
  }
  return { pid: task.pid, actions, sharedPending: ptrace.peekSiginfo(task.pid, true) };
}
