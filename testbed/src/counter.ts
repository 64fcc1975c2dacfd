// The python counter (scripts/counter.py): its file of "N SUM" lines tells whether it carried on
// from its memory or started again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { script } from './paths.js';
import { waitUntil } from './processes.js';

export const counterScript = script('counter.py');

/** The complete lines written so far, as [N, SUM]. */
export function counted(file: string): number[][] {
  if (!fs.existsSync(file)) return [];
  const complete = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
  return complete.map((l) => l.split(' ').map(Number));
}

export function waitForCount(file: string, lines: number): Promise<void> {
  return waitUntil(`${lines} lines in ${file}`, () => counted(file).length >= lines);
}

/** Line i is [i, 1 + 2 + ... + i]: no restart, no gap, the in-memory sum kept. */
export function assertCountedWithoutRestart(file: string): void {
  const lines = counted(file);
  assert.deepEqual(lines, lines.map((_, i) => [i + 1, ((i + 1) * (i + 2)) / 2]));
}
