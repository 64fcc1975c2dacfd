import type { PosixTimer } from '@ferry/proto';
import {
  encodeItimerspec, encodeSigevent, SYS, TIMER_SYS, PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF, PR_TIMER_CREATE_RESTORE_IDS_ON, isSyscallError, SysError,
} from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { timersByTask } from './timer-records.js';

const EINVAL = -22n;

/** One timer, made with its id; armed with its time left. */
function createTimer(task: RestoringTask, t: PosixTimer): void {
  const inj = task.injector;
  inj.resetScratch();
  const idAt = inj.put(Buffer.from(new Int32Array([t.id]).buffer));
  inj.call(`timer_create of timer ${t.id}`, TIMER_SYS.timer_create, t.clockid, inj.put(encodeSigevent(t)), idAt);
  const made = inj.mem.read(idAt, 4).readInt32LE(0);
  if (made !== t.id) throw new Error(`pid ${task.pid}: timer_create gave timer ${made}, not ${t.id}`);
  if (t.valueNs === 0n) return;
  inj.call(`timer_settime of timer ${t.id}`, TIMER_SYS.timer_settime, t.id, 0, inj.put(encodeItimerspec(t)), 0);
}

/**
 * The timers are made by the task itself, with the ids they had (PR_TIMER_CREATE_RESTORE_IDS),
 * once all its signals are blocked: a timer that fires before the task runs leaves its signal
 * pending, as it would have been.
 */
function restorePosixTimers(task: RestoringTask, timers: PosixTimer[]): void {
  if (timers.length === 0) return;
  const inj = task.injector;
  const on = inj.raw(SYS.prctl, PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON, 0, 0, 0);
  if (on === EINVAL) throw new Error(`pid ${task.pid} had POSIX timers, and this kernel cannot make them again with their ids (PR_TIMER_CREATE_RESTORE_IDS needs Linux 6.14)`);
  if (isSyscallError(on)) throw new SysError('prctl(PR_TIMER_CREATE_RESTORE_IDS)', Number(-on), `in task ${task.pid}`);
  try {
    for (const t of timers) createTimer(task, t);
  } catch (e) {
    inj.raw(SYS.prctl, PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF, 0, 0, 0); // the task goes anyway: its error says more
    throw e;
  }
  // Left on, the program's own timer_create calls would take whatever its timer_t held as the id.
  inj.call('prctl(PR_TIMER_CREATE_RESTORE_IDS off)', SYS.prctl, PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF, 0, 0, 0);
}

/** POSIX timers, made in the leader's part of RESTORE_CREDS, before its credentials change. */
export const posixTimersKind: ObjectKind = {
  name: 'posixtimers',
  check(image, tree) {
    const byTask = timersByTask(image.byKind('posixtimers'), tree, 'posixtimers');
    for (const { task, record } of byTask.values()) {
      for (const t of record.timers) {
        if (t.notifyTid !== 0 && !task.threads.includes(t.notifyTid)) {
          throw new PlanError(`image: posixtimers:${task.pid} timer ${t.id} signals thread ${t.notifyTid}, which pid ${task.pid} does not have`);
        }
      }
    }
    return {
      perThread: {
        RESTORE_CREDS: ({ task, core }) => {
          if (core.tid === task.pid) restorePosixTimers(task, byTask.get(task.pid)?.record.timers ?? []);
        },
      },
    };
  },
};
