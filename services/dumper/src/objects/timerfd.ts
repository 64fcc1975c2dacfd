import fs from 'node:fs';
import { keepsAbsoluteExpiry } from '@ferry/proto';
import { clockNow, copyFdOf, readFdInfo, timerFdTimes, CLOCK, type FdInfo } from '@ferry/sys';
import type { FileObject } from './file-kinds.js';

const O_NONBLOCK = 0o4000;
const O_ACCMODE = 3;

function fdinfoField(pid: number, info: FdInfo, text: string, key: string): string {
  const m = new RegExp(`^${key}:\\s*(\\d+)$`, 'm').exec(text);
  if (!m) throw new Error(`fdinfo of fd ${info.fd} of pid ${pid} has no "${key}"`);
  return m[1]!;
}

/**
 * A timerfd: its clock, mode, times and unread expirations. The times are asked of the timer
 * itself (timerfd_gettime on a copy of the task's fd), which first moves an expired interval
 * timer on to its next period; fdinfo, read after, then counts those periods in its ticks.
 */
export function describeTimerFd(pid: number, info: FdInfo, id: string): FileObject | null {
  if (info.target !== 'anon_inode:[timerfd]') return null;
  const copy = copyFdOf(pid, info.fd);
  let times, text;
  try {
    times = timerFdTimes(copy);
    text = readFdInfo(pid, info.fd).text;
  } finally {
    fs.closeSync(copy);
  }
  const clockid = Number(fdinfoField(pid, info, text, 'clockid'));
  const settimeFlags = parseInt(fdinfoField(pid, info, text, 'settime flags'), 8);
  const ticks = BigInt(fdinfoField(pid, info, text, 'ticks'));
  const timer = { clockid, settimeFlags, valueNs: times.valueNs };
  const expiresAtNs = keepsAbsoluteExpiry(timer) ? clockNow(CLOCK.REALTIME) + times.valueNs : 0n;
  return {
    kind: 'timerfd',
    id,
    payload: { id, ...timer, flags: info.flags & (O_NONBLOCK | O_ACCMODE), ticks, intervalNs: times.intervalNs, expiresAtNs },
  };
}
