import { ITIMERS, type ITimers } from '@ferry/proto';
import { encodeItimerval, TIMER_SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { timersByTask } from './timer-records.js';

/** Each interval timer in use, set again with its time left, by setitimer in the task. */
function restoreITimers(task: RestoringTask, timers: ITimers): void {
  const inj = task.injector;
  for (const { which, name } of ITIMERS) {
    const valueNs = timers[`${name}ValueNs`], intervalNs = timers[`${name}IntervalNs`];
    if (valueNs === 0n) continue;
    inj.resetScratch();
    inj.call(`setitimer(${name})`, TIMER_SYS.setitimer, which, inj.put(encodeItimerval({ valueNs, intervalNs })), 0);
  }
}

/** Interval timers, set in the leader's part of RESTORE_CREDS once its signals are all blocked. */
export const itimersKind: ObjectKind = {
  name: 'itimers',
  check(image, tree) {
    const byTask = timersByTask(image.byKind('itimers'), tree, 'itimers');
    return {
      perThread: {
        RESTORE_CREDS: ({ task, core }) => {
          const mine = byTask.get(task.pid);
          if (mine && core.tid === task.pid) restoreITimers(task, mine.record);
        },
      },
    };
  },
};
