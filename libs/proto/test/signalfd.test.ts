// Damaged signalfd records are refused, naming the field, before a restore makes anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PayloadError, validatePayload, type SignalFd } from '../src/index.js';
import { SAMPLES } from './fixtures.js';
import { assertImageRefuses } from './damaged-record.js';

const refuses = (over: Partial<SignalFd>, pattern: RegExp) =>
  assert.throws(() => validatePayload('signalfd', { ...SAMPLES.signalfd, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));

it('refuses damaged signalfd records, naming the field', () => {
  validatePayload('signalfd', { ...SAMPLES.signalfd, mask: 0n, flags: 2 });
  refuses({ id: '' }, /^id is empty$/);
  refuses({ mask: 1n << 8n }, /^mask 0x100 holds SIGKILL or SIGSTOP, which no signalfd reads$/);
  refuses({ mask: 1n << 18n }, /^mask 0x40000 holds SIGKILL or SIGSTOP/);
  refuses({ flags: 0o2000000 }, /^flags 0o2000000 are not signalfd flags$/);
});

it('refuses an image whose signalfd record is damaged, naming the record', async () => {
  await assertImageRefuses('signalfd', 'file:100:12', { ...SAMPLES.signalfd, mask: 1n << 18n }, 'mask 0x40000 holds SIGKILL or SIGSTOP, which no signalfd reads');
});
