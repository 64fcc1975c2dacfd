import { isCallingThreadClock, type PosixTimers } from '@ferry/proto';
import { decodeItimerspec, listTimers, ITIMERSPEC_SIZE, TIMER_SYS } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';

/**
 * What /proc/PID/timers lists of each timer, with its times and overrun, which only calls made
 * inside the process (timer_gettime, timer_getoverrun) tell.
 */
function collectPosixTimers(task: FrozenTask): PosixTimers {
  const listed = listTimers(task.pid);
  if (listed.length === 0) return { pid: task.pid, timers: [] };
  const onOwnThread = listed.find((t) => isCallingThreadClock(t.clockid));
  if (onOwnThread && task.threads.length > 1) {
    throw new Error(`pid ${task.pid}: POSIX timer ${onOwnThread.id} counts the CPU time of the thread that made it, which /proc does not name: not supported yet`);
  }
  const timers = task.injecting(task.pid, { scratch: true }, (inj) => {
    const out = inj.reserve(ITIMERSPEC_SIZE);
    return listed.map((t) => {
      inj.call(`timer_gettime(${t.id})`, TIMER_SYS.timer_gettime, t.id, out);
      const overrun = Number(inj.call(`timer_getoverrun(${t.id})`, TIMER_SYS.timer_getoverrun, t.id));
      return { ...t, ...decodeItimerspec(inj.mem.read(out, ITIMERSPEC_SIZE)), overrun };
    });
  });
  return { pid: task.pid, timers };
}

export const posixTimersCollector: TaskCollector = {
  name: 'POSIX timers',
  async collect(task, _dump, sink) {
    const timers = collectPosixTimers(task);
    await sink.put('posixtimers', `posixtimers:${task.pid}`, timers);
    return `${timers.timers.length} POSIX timers`;
  },
};
