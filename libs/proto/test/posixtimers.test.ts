// Damaged posixtimers and itimers records are refused, naming the field, before a restore makes anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PayloadError, validatePayload, type ITimers, type PosixTimer } from '../src/index.js';
import { SAMPLES } from './fixtures.js';
import { assertImageRefuses } from './damaged-record.js';

const sample = SAMPLES.posixtimers.timers[0]!;
const refusesTimer = (over: Partial<PosixTimer>, pattern: RegExp) =>
  assert.throws(() => validatePayload('posixtimers', { pid: 100, timers: [{ ...sample, ...over }] }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));
const refusesITimers = (over: Partial<ITimers>, pattern: RegExp) =>
  assert.throws(() => validatePayload('itimers', { ...SAMPLES.itimers, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));

it('refuses damaged POSIX timer records, naming the timer and field', () => {
  validatePayload('posixtimers', { pid: 100, timers: [] });
  assert.throws(() => validatePayload('posixtimers', { pid: 0, timers: [] }), /pid 0 is not a pid/);
  assert.throws(() => validatePayload('posixtimers', { pid: 100, timers: [sample, sample] }), /timers lists 0 twice$/);
  refusesTimer({ id: -1 }, /^timers\[0\] \(id -1\): id is negative$/);
  refusesTimer({ clockid: 4 }, /^timers\[0\] \(id 0\): clockid 4 is not a clock timer_create takes$/);
  refusesTimer({ clockid: -1 }, /clockid -1 is not a clock/);
  refusesTimer({ notify: 3 }, /notify 3 is not a SIGEV_\* kind$/);
  refusesTimer({ signo: 65 }, /signo 65 is not a signal$/);
  refusesTimer({ signo: 0 }, /signo 0 is not a signal$/);
  refusesTimer({ notify: 4, notifyTid: 0 }, /notifyTid 0 is not a pid/);
  refusesTimer({ notifyTid: 101 }, /notifyTid 101 without SIGEV_THREAD_ID$/);
  refusesTimer({ valueNs: 1n << 63n }, /valueNs 9223372036854775808 does not fit a timespec$/);
  refusesTimer({ intervalNs: 1n << 63n }, /intervalNs 9223372036854775808 does not fit a timespec$/);
  refusesTimer({ overrun: -1 }, /overrun -1 is negative$/);
});

it('refuses damaged interval timer records, naming the field', () => {
  refusesITimers({ pid: 4194305 }, /^pid 4194305 is not a pid/);
  refusesITimers({ realValueNs: 1500n }, /^realValueNs 1500 is not a whole number of microseconds$/);
  refusesITimers({ profIntervalNs: 1n << 63n }, /^profIntervalNs 9223372036854775808 does not fit a timeval$/);
});

it('refuses an image whose timer records are damaged, naming the record', async () => {
  await assertImageRefuses('posixtimers', 'posixtimers:100', { pid: 100, timers: [{ ...sample, notify: 9 }] }, 'timers[0] (id 0): notify 9 is not a SIGEV_* kind');
  await assertImageRefuses('itimers', 'itimers:100', { ...SAMPLES.itimers, virtualValueNs: 1n }, 'virtualValueNs 1 is not a whole number of microseconds');
});
