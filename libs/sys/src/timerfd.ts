import { addressOf } from './libc.js';
import { checkedSyscall, O_CLOEXEC } from './fcntl.js';
import { decodeItimerspec, encodeItimerspec, ITIMERSPEC_SIZE, type TimerTimes } from './clocks.js';

// timerfd calls on ferry's own descriptors (not injected).
const SYS_ioctl = 16, SYS_timerfd_create = 283, SYS_timerfd_settime = 286, SYS_timerfd_gettime = 287;
/** _IOW('T', 0, u64): only with CONFIG_CHECKPOINT_RESTORE. */
const TFD_IOC_SET_TICKS = 0x40085400;

export const TFD_TIMER_ABSTIME = 1;
export const TFD_TIMER_CANCEL_ON_SET = 2;

export function createTimerFd(clockid: number, flags = O_CLOEXEC): number {
  return checkedSyscall(`timerfd_create(${clockid})`, SYS_timerfd_create, clockid, flags);
}

/**
 * The time to the timer's next expiry and its interval. An interval timer that expired unread is
 * moved on to its next period by this call, its missed periods added to its ticks: what a read
 * would count anyway, but fdinfo shows neither before it.
 */
export function timerFdTimes(fd: number): TimerTimes {
  const out = Buffer.alloc(ITIMERSPEC_SIZE);
  checkedSyscall('timerfd_gettime', SYS_timerfd_gettime, fd, Number(addressOf(out)));
  return decodeItimerspec(out);
}

/** Arms (or with a zero value disarms) the timer; FLAGS are TFD_TIMER_*. Its ticks start again from 0. */
export function setTimerFdTimes(fd: number, flags: number, times: TimerTimes): void {
  checkedSyscall('timerfd_settime', SYS_timerfd_settime, fd, flags, Number(addressOf(encodeItimerspec(times))), 0);
}

/** Puts back expirations not yet read (TFD_IOC_SET_TICKS; the kernel refuses 0). */
export function setTimerFdTicks(fd: number, ticks: bigint): void {
  const value = Buffer.alloc(8);
  value.writeBigUInt64LE(ticks);
  checkedSyscall('ioctl(TFD_IOC_SET_TICKS)', SYS_ioctl, fd, TFD_IOC_SET_TICKS, Number(addressOf(value)));
}
