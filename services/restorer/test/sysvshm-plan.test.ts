// The planner refuses System V shared memory records that do not fit the tree or its mappings
// (see plan.test.ts): before anything is made, no process, no segment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VmaKind, type SysvShm } from '@ferry/proto';
import { planRestore } from '../src/index.js';
import { memoryImage, type SampleRecord } from './memory-image.js';
import { sampleTree, vma } from './samples.js';

const AT = 0x7e0000000000n;
const segment = (over: Partial<SysvShm> = {}): SampleRecord => ({
  kind: 'sysvshm', payload: { id: 7, key: 0x1234, size: 0x3000n, mode: 0o600, uid: 0, gid: 0, cuid: 0, cgid: 0, removed: false, ...over },
});
function attach(pid: number, start: bigint, end: bigint, shmid = 7n, pgoff = 0n): SampleRecord {
  const r = vma(pid, { start, end }, VmaKind.SYSV_SHM);
  return { kind: 'vma', payload: { ...(r.payload as Extract<SampleRecord, { kind: 'vma' }>['payload']), shmid, pgoff, path: '/SYSV00001234' } };
}

test('segments attached by the tree\'s tasks plan, whole or in part', () => {
  planRestore(memoryImage([...sampleTree(), segment(), attach(100, AT, AT + 0x3000n), attach(200, AT, AT + 0x1000n), attach(200, AT + 0x2000n, AT + 0x3000n, 7n, 0x2000n)]));
});

test('segment records that do not fit the mappings are refused, naming the record', () => {
  const refusals: [string, SampleRecord[], RegExp][] = [
    ['an attach of a segment with no record', [attach(100, AT, AT + 0x1000n)], /^image: vma vma:100:7e0000000000 attaches System V segment 7, which has no sysvshm record$/],
    ['an attach reaching beyond its segment', [segment(), attach(100, AT, AT + 0x4000n)], /^image: vma vma:100:7e0000000000 reaches beyond System V segment 7 \(12288 bytes\)$/],
    ['an attach whose offset goes below address 0', [segment(), attach(100, 0x1000n, 0x2000n, 7n, 0x2000n)], /^image: vma vma:100:1000 reaches beyond System V segment 7/],
    ['a segment no task attaches', [segment(), segment({ id: 8 }), attach(100, AT, AT + 0x1000n)], /^image: sysvshm sysvshm:8: no task of the tree attaches it$/],
    ['two records of a segment', [segment(), segment(), attach(100, AT, AT + 0x1000n)], /^image: System V segment 7 has two sysvshm records$/],
  ];
  for (const [what, more, message] of refusals) {
    assert.throws(() => planRestore(memoryImage([...sampleTree(), ...more])), (e: Error) => message.test(e.message) || assert.fail(`${what}: got "${e.message}"`), what);
  }
});
