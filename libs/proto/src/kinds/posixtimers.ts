import type { PosixTimers } from '../generated/messages.js';
import { I64_MAX } from '../int64.js';
import { checkPid, checkUnique, fail } from './checks.js';

const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
const NOTIFY = [SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_SIGNAL | SIGEV_THREAD_ID];
const SIGRTMAX = 64;
/** REALTIME, MONOTONIC, BOOTTIME, their _ALARM kinds, TAI: the fixed clocks timer_create takes. */
const FIXED_CLOCKS = [0, 1, 7, 8, 9, 11];

/** A CPU-time clock as clock_getcpuclockid makes them: ~pid << 3, a thread bit, and PROF, VIRT or SCHED. */
export function isCpuClock(clockid: number): boolean {
  return clockid < 0 && (clockid & 7) !== 7 && (clockid & 3) !== 3;
}

/** The thread clock of whichever thread asks (THREAD_CPUTIME_ID): which thread made the timer is not known. */
export const isCallingThreadClock = (clockid: number): boolean => isCpuClock(clockid) && clockid >> 3 === -1 && (clockid & 4) !== 0;

export function validatePosixTimers(p: PosixTimers): void {
  checkPid(p.pid, 'pid');
  checkUnique(p.timers.map((t) => t.id), 'timers');
  p.timers.forEach((t, i) => {
    const field = `timers[${i}] (id ${t.id})`;
    if (t.id < 0) fail(`${field}: id is negative`);
    if (!FIXED_CLOCKS.includes(t.clockid) && !isCpuClock(t.clockid)) fail(`${field}: clockid ${t.clockid} is not a clock timer_create takes`);
    if (!NOTIFY.includes(t.notify)) fail(`${field}: notify ${t.notify} is not a SIGEV_* kind`);
    if (t.signo > SIGRTMAX || (t.signo === 0 && t.notify !== SIGEV_NONE)) fail(`${field}: signo ${t.signo} is not a signal`);
    if ((t.notify & SIGEV_THREAD_ID) !== 0) checkPid(t.notifyTid, `${field}: notifyTid`);
    else if (t.notifyTid !== 0) fail(`${field}: notifyTid ${t.notifyTid} without SIGEV_THREAD_ID`);
    if (t.valueNs > I64_MAX) fail(`${field}: valueNs ${t.valueNs} does not fit a timespec`);
    if (t.intervalNs > I64_MAX) fail(`${field}: intervalNs ${t.intervalNs} does not fit a timespec`);
    if (t.overrun < 0) fail(`${field}: overrun ${t.overrun} is negative`);
  });
}
