// The planner refuses System V semaphore set and message queue records that cannot all be made
// again (see plan.test.ts): before anything is made, no process, no IPC object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SysvMsg, SysvSem } from '@ferry/proto';
import { planRestore } from '../src/index.js';
import { memoryImage, type SampleRecord } from './memory-image.js';
import { sampleTree } from './samples.js';

const set = (over: Partial<SysvSem> = {}): SampleRecord => ({ kind: 'sysvsem', payload: { id: 7, key: 0x1234, mode: 0o600, uid: 0, gid: 0, values: [1, 5], ...over } });
const queue = (over: Partial<SysvMsg> = {}): SampleRecord => ({
  kind: 'sysvmsg', payload: { id: 7, key: 0x1234, mode: 0o600, uid: 0, gid: 0, qbytes: 16384n, messages: [{ type: 3n, text: Buffer.from('hi') }], ...over },
});

test('semaphore sets and queues plan, a set and a queue sharing id and key among them (separate id spaces)', () => {
  planRestore(memoryImage([...sampleTree(), set(), set({ id: 8, key: 0 }), set({ id: 9, key: 0 }), queue(), queue({ id: 8, key: 0 })]));
});

test('records two objects could not both be made from are refused, naming them', () => {
  const refusals: [string, SampleRecord[], RegExp][] = [
    ['two records of a set', [set(), set()], /^image: System V semaphore set 7 has two sysvsem records$/],
    ['two sets of a key', [set(), set({ id: 8 })], /^image: two System V semaphore sets have key 0x1234$/],
    ['two records of a queue', [queue(), queue()], /^image: System V message queue 7 has two sysvmsg records$/],
    ['two queues of a key', [queue(), queue({ id: 8 })], /^image: two System V message queues have key 0x1234$/],
  ];
  for (const [what, more, message] of refusals) {
    assert.throws(() => planRestore(memoryImage([...sampleTree(), ...more])), (e: Error) => message.test(e.message) || assert.fail(`${what}: got "${e.message}"`), what);
  }
});
