// A restored process that had files open under /proc/N of a dead process N reads them at its very
// first instructions after restore: N must already be gone then, not alive nor a zombie (the
// helper that reopened them dies and is reaped before any restored thread runs).
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, type TestBed, dump, restoreDetached, restoreAttached, waitUntil, waitGone } from '@ferry/testbed';

after(removeBuiltWorkloads);

/** Dumps the spinning reader and runs RESTORE; returns what reading the dead pid's files gave before the dump, and the restored process's first report. */
async function firstReadAfterRestore(bed: TestBed, restore: (img: string) => Promise<void>): Promise<{ gone: string; line: string }> {
  const pid = bed.start([workload('procremap-spin')]);
  const ready = /^ready: pid \d+ (.*)$/.exec(await bed.output.next(/^ready: /))!;
  const gone = ready[1]!;
  assert.match(gone, /^status=-1\/No such process dir-entry=0\//, 'before the dump, the dead pid is gone');
  const img = bed.scratch.path('img');
  await dump(pid, img);
  const seen = bed.output.lines().length; // reports of the original, before its freeze, are not the restored one's
  let line: string | undefined;
  await restore(img);
  await waitUntil('the restored process to report', () => (line = bed.output.lines().slice(seen).find((l) => l.startsWith('resumed: '))) !== undefined);
  return { gone, line: line! };
}

function assertDeadPidGone({ gone, line }: { gone: string; line: string }): void {
  const m = /^resumed: pid (\d+) (.*) \| (.*)$/.exec(line);
  assert.ok(m, `a report: ${line}`);
  assert.equal(fs.existsSync(`/proc/${m[1]}`), false, `the helper with pid ${m[1]} is gone`);
  assert.deepEqual([m[2], m[3]], [gone, gone], `the first reads after restore see pid ${m[1]} gone`);
}

bedTest('restore -d: the first read of a dead pid\'s /proc files after restore finds it gone (ESRCH, as before the dump)', async (bed) => {
  assertDeadPidGone(await firstReadAfterRestore(bed, async (img) => {
    await restoreDetached(img);
  }));
});

bedTest('restore (waiting for the process): the first read of a dead pid\'s /proc files after restore finds it gone', async (bed) => {
  let ending: Promise<unknown> | undefined;
  let restored = 0;
  const reads = await firstReadAfterRestore(bed, async (img) => {
    const pidfile = bed.scratch.path('pidfile');
    ending = restoreAttached(img, pidfile, (pid) => (restored = pid));
    await waitUntil('the restored pid', () => restored !== 0);
  });
  assertDeadPidGone(reads);
  process.kill(restored, 'SIGKILL');
  await ending;
  await waitGone(restored);
});
