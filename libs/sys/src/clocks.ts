import { addressOf } from './libc.js';
import { checkedSyscall } from './fcntl.js';

// Clocks and the timer structures the kernel takes, times as bigint nanoseconds.
const SYS_clock_gettime = 228;

export const NS_PER_SEC = 1_000_000_000n;

export const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME_ID: 2, THREAD_CPUTIME_ID: 3, BOOTTIME: 7, REALTIME_ALARM: 8, BOOTTIME_ALARM: 9, TAI: 11 } as const;

/** A timer's time to its next expiry (0: disarmed) and its period (0: one-shot). */
export interface TimerTimes {
  valueNs: bigint;
  intervalNs: bigint;
}

/** struct itimerspec: the interval's timespec, then the value's. */
export const ITIMERSPEC_SIZE = 32;

export function encodeItimerspec(t: TimerTimes): Buffer {
  const b = Buffer.alloc(ITIMERSPEC_SIZE);
  b.writeBigInt64LE(t.intervalNs / NS_PER_SEC, 0);
  b.writeBigInt64LE(t.intervalNs % NS_PER_SEC, 8);
  b.writeBigInt64LE(t.valueNs / NS_PER_SEC, 16);
  b.writeBigInt64LE(t.valueNs % NS_PER_SEC, 24);
  return b;
}

export function decodeItimerspec(b: Buffer): TimerTimes {
  return {
    intervalNs: b.readBigInt64LE(0) * NS_PER_SEC + b.readBigInt64LE(8),
    valueNs: b.readBigInt64LE(16) * NS_PER_SEC + b.readBigInt64LE(24),
  };
}

/** struct itimerval (setitimer): the interval's timeval, then the value's, in microseconds. */
export const ITIMERVAL_SIZE = 32;
const US_PER_SEC = 1_000_000n;

export function encodeItimerval(t: TimerTimes): Buffer {
  const b = Buffer.alloc(ITIMERVAL_SIZE);
  const us = (ns: bigint) => (ns + 999n) / 1000n; // a timer never fires earlier than it would have
  b.writeBigInt64LE(us(t.intervalNs) / US_PER_SEC, 0);
  b.writeBigInt64LE(us(t.intervalNs) % US_PER_SEC, 8);
  b.writeBigInt64LE(us(t.valueNs) / US_PER_SEC, 16);
  b.writeBigInt64LE(us(t.valueNs) % US_PER_SEC, 24);
  return b;
}

export function decodeItimerval(b: Buffer): TimerTimes {
  return {
    intervalNs: (b.readBigInt64LE(0) * US_PER_SEC + b.readBigInt64LE(8)) * 1000n,
    valueNs: (b.readBigInt64LE(16) * US_PER_SEC + b.readBigInt64LE(24)) * 1000n,
  };
}

/** The time on CLOCKID now, as clock_gettime gives it to ferry. */
export function clockNow(clockid: number): bigint {
  const ts = Buffer.alloc(16);
  checkedSyscall(`clock_gettime(${clockid})`, SYS_clock_gettime, clockid, Number(addressOf(ts)));
  return ts.readBigInt64LE(0) * NS_PER_SEC + ts.readBigInt64LE(8);
}
