import fs from 'node:fs';
import type { TimerFd } from '@ferry/proto';
import { keepsAbsoluteExpiry } from '@ferry/proto';
import { clockNow, createTimerFd, setTimerFdTicks, setTimerFdTimes, O_CLOEXEC, O_NONBLOCK, TFD_TIMER_ABSTIME } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';

/**
 * When the timer fires next: an absolute realtime timer at the time it had, any other after the
 * time it had left (a monotonic clock's absolute times mean nothing on another boot).
 */
function valueToSet(t: TimerFd): bigint {
  if (keepsAbsoluteExpiry(t)) return t.expiresAtNs;
  if (t.valueNs === 0n || !(t.settimeFlags & TFD_TIMER_ABSTIME)) return t.valueNs;
  return clockNow(t.clockid) + t.valueNs;
}

/** What the timer counted since it was armed here: one expiry already, when its time had passed. */
function ticksSinceArmed(fd: number): bigint {
  const ticks = /^ticks:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return BigInt(ticks?.[1] ?? 0);
}

/** Opens every timerfd in ferry on its clock, arms it, then gives it back its unread expirations. */
function openTimerFds(files: TimerFd[], opened: Map<string, number>): void {
  for (const t of files) {
    const fd = createTimerFd(t.clockid, O_CLOEXEC | (t.flags & O_NONBLOCK));
    opened.set(t.id, fd);
    setTimerFdTimes(fd, t.settimeFlags, { valueNs: valueToSet(t), intervalNs: t.intervalNs });
    if (t.ticks !== 0n) setTimerFdTicks(fd, t.ticks + ticksSinceArmed(fd));
  }
}

export const timerFdKind: ObjectKind = {
  name: 'timerfd',
  files: (image) => image.byKind('timerfd').map((f) => ({ id: f.id })),
  check: (image) => ({ open: (_ctx, opened) => openTimerFds(image.byKind('timerfd'), opened) }),
};
