import type { Signals, SigAction } from '@ferry/proto';
import { ptrace, SYS, isSyscallError, nonDefaultSignals, runEach } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';

const SIG_DFL = 0n;
const KSIGACTION_SIZE = 32; // handler, flags, restorer, mask

const SIGCHLD = 17;

/**
 * A default disposition's flags and mask change nothing, except SIGCHLD's (SA_NOCLDWAIT,
 * SA_NOCLDSTOP): only caught and ignored signals, and SIGCHLD, are worth an injected call.
 */
function signalsToRead(pid: number): number[] {
  const signals = nonDefaultSignals(pid);
  return signals.includes(SIGCHLD) ? signals : [...signals, SIGCHLD];
}

/** Handlers are read by running rt_sigaction inside the task: /proc shows only masks. */
function collectSignals(task: FrozenTask): Signals {
  const signals = signalsToRead(task.pid);
  const actions = task.injecting(task.pid, { scratch: true }, (inj) => {
    const results = runEach(inj, signals.map((signo) => ({ name: `rt_sigaction(${signo})`, nr: SYS.rt_sigaction, args: [signo, 0, { out: KSIGACTION_SIZE }, 8], mayFail: true })));
    const found: SigAction[] = [];
    for (const [i, signo] of signals.entries()) {
      const { ret, out } = results[i]!;
      if (isSyscallError(ret)) continue;
      const raw = out!;
      const handler = raw.readBigUInt64LE(0);
      const flags = raw.readBigUInt64LE(8);
      const mask = raw.readBigUInt64LE(24);
      if (handler === SIG_DFL && flags === 0n && mask === 0n) continue;
      found.push({ signo, handler, flags, restorer: raw.readBigUInt64LE(16), mask });
    }
    return found;
  });
  return { pid: task.pid, actions, sharedPending: ptrace.peekSiginfo(task.pid, true) };
}

export const signalsCollector: TaskCollector = {
  name: 'signal handlers',
  async collect(task, _dump, sink) {
    await sink.put('signals', `signals:${task.pid}`, collectSignals(task));
  },
};
