// The planner refuses timer records that do not fit the tree (see plan.test.ts): root-free, no process made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PosixTimer } from '@ferry/proto';
import { planRestore } from '../src/index.js';
import { memoryImage, type SampleRecord } from './memory-image.js';
import { sampleTree } from './samples.js';

const timer = (over: Partial<PosixTimer> = {}): PosixTimer => ({
  id: 0, clockid: 1, notify: 0, signo: 34, value: 0n, notifyTid: 0, valueNs: 1000n, intervalNs: 0n, overrun: 0, ...over,
});
const posixTimers = (pid: number, timers: PosixTimer[]): SampleRecord => ({ kind: 'posixtimers', payload: { pid, timers } });
const itimers = (pid: number): SampleRecord => ({
  kind: 'itimers', payload: { pid, realValueNs: 1000n, realIntervalNs: 0n, virtualValueNs: 0n, virtualIntervalNs: 0n, profValueNs: 0n, profIntervalNs: 0n },
});

test('timer records of the tree\'s tasks plan, none needed', () => {
  planRestore(memoryImage(sampleTree()));
  planRestore(memoryImage([...sampleTree(), posixTimers(100, [timer(), timer({ id: 1, notify: 4, notifyTid: 102 })]), itimers(100), itimers(200)]));
});

test('timer records that do not fit the tree are refused, naming the record', () => {
  const refusals: [string, SampleRecord[], RegExp][] = [
    ['POSIX timers of a zombie', [posixTimers(300, [timer()])], /^image: posixtimers posixtimers:300 is for pid 300, which is not a live task of the tree$/],
    ['POSIX timers of a pid outside the tree', [posixTimers(999, [])], /^image: posixtimers posixtimers:999 is for pid 999, which is not a live task/],
    ['two POSIX timer records of a task', [posixTimers(100, []), posixTimers(100, [])], /^image: pid 100 has 2 posixtimers records, expected at most 1$/],
    ['a timer signalling a thread of another task', [posixTimers(200, [timer({ notify: 4, notifyTid: 101 })])], /^image: posixtimers:200 timer 0 signals thread 101, which pid 200 does not have$/],
    ['interval timers of a zombie', [itimers(300)], /^image: itimers itimers:300 is for pid 300, which is not a live task of the tree$/],
    ['two interval timer records of a task', [itimers(200), itimers(200)], /^image: pid 200 has 2 itimers records, expected at most 1$/],
  ];
  for (const [what, more, message] of refusals) {
    assert.throws(() => planRestore(memoryImage([...sampleTree(), ...more])), (e: Error) => message.test(e.message) || assert.fail(`${what}: got "${e.message}"`), what);
  }
});
