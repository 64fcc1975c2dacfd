import type { TimerFd } from '../generated/messages.js';
import { I64_MAX } from '../int64.js';
import { checkNotEmpty, fail } from './checks.js';

const O_NONBLOCK = 0o4000;
const O_RDWR = 2;
const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;
const CLOCK_REALTIME = 0, CLOCK_REALTIME_ALARM = 8;
/** The clocks timerfd_create takes. */
export const TIMERFD_CLOCKS: readonly number[] = [CLOCK_REALTIME, 1, 7, CLOCK_REALTIME_ALARM, 9];

export const isRealtimeClock = (clockid: number): boolean => clockid === CLOCK_REALTIME || clockid === CLOCK_REALTIME_ALARM;

/** Whether restore sets the timer at the absolute time the record keeps rather than by its remaining time. */
export function keepsAbsoluteExpiry(t: Pick<TimerFd, 'clockid' | 'settimeFlags' | 'valueNs'>): boolean {
  return isRealtimeClock(t.clockid) && (t.settimeFlags & TFD_TIMER_ABSTIME) !== 0 && t.valueNs !== 0n;
}

export function validateTimerFd(t: TimerFd): void {
  checkNotEmpty(t.id, 'id');
  if (!TIMERFD_CLOCKS.includes(t.clockid)) fail(`clockid ${t.clockid} is not a clock of timerfd`);
  if (t.flags & ~(O_NONBLOCK | O_RDWR)) fail(`flags 0o${t.flags.toString(8)} are not timerfd flags`);
  if (t.settimeFlags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) fail(`settimeFlags ${t.settimeFlags} are not TFD_TIMER_* flags`);
  if (t.settimeFlags & TFD_TIMER_CANCEL_ON_SET && !(isRealtimeClock(t.clockid) && t.settimeFlags & TFD_TIMER_ABSTIME)) {
    fail('settimeFlags: TFD_TIMER_CANCEL_ON_SET needs an absolute timer on a realtime clock');
  }
  if (t.ticks > I64_MAX) fail(`ticks ${t.ticks} is beyond what a timer counts`);
  if (t.valueNs > I64_MAX) fail(`valueNs ${t.valueNs} does not fit a timespec`);
  if (t.intervalNs > I64_MAX) fail(`intervalNs ${t.intervalNs} does not fit a timespec`);
  if (keepsAbsoluteExpiry(t) && t.expiresAtNs === 0n) fail('expiresAtNs is missing for an armed absolute realtime timer');
  if (!keepsAbsoluteExpiry(t) && t.expiresAtNs !== 0n) fail(`expiresAtNs ${t.expiresAtNs} is set on a timer that keeps its remaining time`);
  if (t.expiresAtNs > I64_MAX) fail(`expiresAtNs ${t.expiresAtNs} does not fit a timespec`);
}
