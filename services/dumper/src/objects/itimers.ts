import { ITIMERS, type ITimers } from '@ferry/proto';
import { decodeItimerval, ITIMERVAL_SIZE, TIMER_SYS, runEach } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';

/** The three interval timers, by getitimer run inside the process: /proc shows none of them. */
function collectITimers(task: FrozenTask): ITimers {
  const timers: ITimers = {
    pid: task.pid, realValueNs: 0n, realIntervalNs: 0n, virtualValueNs: 0n, virtualIntervalNs: 0n, profValueNs: 0n, profIntervalNs: 0n,
  };
  task.injecting(task.pid, { scratch: true }, (inj) => {
    const results = runEach(inj, ITIMERS.map(({ which, name }) => ({ name: `getitimer(${name})`, nr: TIMER_SYS.getitimer, args: [which, { out: ITIMERVAL_SIZE }] })));
    for (const [i, { name }] of ITIMERS.entries()) {
      const { valueNs, intervalNs } = decodeItimerval(results[i]!.out!);
      timers[`${name}ValueNs`] = valueNs;
      timers[`${name}IntervalNs`] = intervalNs;
    }
  });
  return timers;
}

export const itimersCollector: TaskCollector = {
  name: 'interval timers',
  async collect(task, _dump, sink) {
    await sink.put('itimers', `itimers:${task.pid}`, collectITimers(task));
  },
};
