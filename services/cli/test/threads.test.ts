// Real multi-threaded programs carry on after restore with every thread: their counters keep
// growing from where they were, with the same thread ids.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { script, bedTest, dump, restoreDetached, threadsOf, waitUntil } from '@ferry/testbed';

/** Each line is "N COUNTER..."; the last complete one, as numbers. */
function lastLine(file: string): number[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  return lines.length ? lines[lines.length - 1]!.split(' ').map(Number) : [];
}

const programs: [string, string[], number][] = [
  ['python3 with three threads', ['python3', script('threads.py')], 4],
  ['node with a timer and a worker', [process.execPath, script('worker.mjs')], 8],
];

for (const [what, argv, minThreads] of programs) {
  bedTest(`${what} carries on with all its threads`, async (bed) => {
    const out = bed.scratch.path('counts');
    const pid = bed.start([...argv, out]);
    await waitUntil('the program to count', () => fs.existsSync(out) && (lastLine(out)[0] ?? 0) >= 5 && lastLine(out).slice(1).every((c) => c > 0));
    const tids = threadsOf(pid);
    assert.ok(tids.length >= minThreads, `${tids.length} threads`);
    await dump(pid, bed.scratch.path('img'));
    const atDump = lastLine(out);
    await restoreDetached(bed.scratch.path('img'));
    assert.deepEqual(threadsOf(pid), tids);
    await waitUntil('every counter to move on', () => {
      const now = lastLine(out);
      return now.length === atDump.length && now.every((v, i) => v > atDump[i]!);
    });
    const lines = fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => Number(l.split(' ')[0]));
    assert.deepEqual(lines, lines.map((_, i) => i + 1), 'the line numbers go on without a restart or a gap');
  });
}
