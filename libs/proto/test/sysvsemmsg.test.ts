// Damaged System V semaphore set and message queue records are refused, naming the field, before a restore makes anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PayloadError, validatePayload, type SysvMsg, type SysvSem } from '../src/index.js';
import { SAMPLES } from './fixtures.js';
import { assertImageRefuses } from './damaged-record.js';

const refusesSem = (over: Partial<SysvSem>, pattern: RegExp) =>
  assert.throws(() => validatePayload('sysvsem', { ...SAMPLES.sysvsem, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));
const refusesMsg = (over: Partial<SysvMsg>, pattern: RegExp) =>
  assert.throws(() => validatePayload('sysvmsg', { ...SAMPLES.sysvmsg, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));

it('takes keyed and private sets and queues, an empty queue among them', () => {
  validatePayload('sysvsem', SAMPLES.sysvsem);
  validatePayload('sysvsem', { ...SAMPLES.sysvsem, key: 0, id: 0, values: [0] });
  validatePayload('sysvmsg', SAMPLES.sysvmsg);
  validatePayload('sysvmsg', { ...SAMPLES.sysvmsg, key: 0, qbytes: 0n, messages: [] });
});

it('refuses damaged sysvsem records, naming the field', () => {
  refusesSem({ id: 0x80000000 }, /^id 2147483648 is beyond what an IPC id can be$/);
  refusesSem({ mode: 0o1777 }, /^mode 0o1777 has bits beyond the permission bits$/);
  refusesSem({ values: [] }, /^values is empty: a set has at least one semaphore$/);
  refusesSem({ values: [1, 32768] }, /^values\[1\] 32768 is beyond a semaphore's largest value \(32767\)$/);
});

it('refuses damaged sysvmsg records, naming the field', () => {
  refusesMsg({ id: 0x80000000 }, /^id 2147483648 is beyond what an IPC id can be$/);
  refusesMsg({ messages: [{ type: 0n, text: Buffer.from('x') }] }, /^messages\[0\] has type 0: a message's type is positive$/);
  refusesMsg({ qbytes: 2n, messages: [{ type: 1n, text: Buffer.from('abc') }] }, /^messages hold 3 bytes, more than the queue's qbytes 2$/);
});

it('refuses an image whose sysvmsg record is damaged, naming the record', async () => {
  await assertImageRefuses('sysvmsg', 'sysvmsg:5', { ...SAMPLES.sysvmsg, messages: [{ type: -1n, text: Buffer.alloc(0) }] }, 'messages[0] has type -1: a message\'s type is positive');
});
