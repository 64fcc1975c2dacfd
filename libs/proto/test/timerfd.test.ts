// Damaged timerfd records are refused, naming the field, before a restore makes anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PayloadError, validatePayload, type TimerFd } from '../src/index.js';
import { SAMPLES } from './fixtures.js';
import { assertImageRefuses } from './damaged-record.js';

const refuses = (over: Partial<TimerFd>, pattern: RegExp) =>
  assert.throws(() => validatePayload('timerfd', { ...SAMPLES.timerfd, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));

const relative: Partial<TimerFd> = { clockid: 1, settimeFlags: 0, expiresAtNs: 0n };

it('takes relative, absolute and disarmed timers', () => {
  validatePayload('timerfd', SAMPLES.timerfd);
  validatePayload('timerfd', { ...SAMPLES.timerfd, ...relative });
  validatePayload('timerfd', { ...SAMPLES.timerfd, settimeFlags: 1, valueNs: 0n, expiresAtNs: 0n });
});

it('refuses damaged timerfd records, naming the field', () => {
  refuses({ id: '' }, /^id is empty$/);
  refuses({ clockid: 2 }, /^clockid 2 is not a clock of timerfd$/);
  refuses({ flags: 0o2000000 }, /^flags 0o2000000 are not timerfd flags$/);
  refuses({ settimeFlags: 4 }, /^settimeFlags 4 are not TFD_TIMER_\* flags$/);
  refuses({ ...relative, settimeFlags: 2 }, /TFD_TIMER_CANCEL_ON_SET needs an absolute timer on a realtime clock/);
  refuses({ clockid: 1, settimeFlags: 3, expiresAtNs: 0n }, /TFD_TIMER_CANCEL_ON_SET needs an absolute timer on a realtime clock/);
  refuses({ ticks: 1n << 63n }, /^ticks 9223372036854775808 is beyond/);
  refuses({ ...relative, valueNs: 1n << 63n }, /^valueNs 9223372036854775808 does not fit a timespec$/);
  refuses({ intervalNs: 1n << 63n }, /^intervalNs 9223372036854775808 does not fit a timespec$/);
  refuses({ expiresAtNs: 0n }, /^expiresAtNs is missing for an armed absolute realtime timer$/);
  refuses({ ...relative, expiresAtNs: 5n }, /^expiresAtNs 5 is set on a timer that keeps its remaining time$/);
  refuses({ expiresAtNs: 1n << 63n }, /^expiresAtNs 9223372036854775808 does not fit a timespec$/);
});

it('refuses an image whose timerfd record is damaged, naming the record', async () => {
  await assertImageRefuses('timerfd', 'file:100:11', { ...SAMPLES.timerfd, clockid: 3 }, 'clockid 3 is not a clock of timerfd');
});
