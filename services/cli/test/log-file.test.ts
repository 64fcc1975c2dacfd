// A log opened `>> LOG` (O_WRONLY|O_APPEND) grows after every checkpoint: each one still restores,
// and the restored program appends after whatever the log holds by then.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, waitUntil, waitGone } from '@ferry/testbed';

after(removeBuiltWorkloads);

const lineNumbers = (text: string) => text.split('\n').filter((l) => l !== '').map((l) => Number(/^line (\d+)$/.exec(l)?.[1] ?? NaN));

bedTest('a program logging with >> restores from each of several checkpoints taken as its log grew, appending after the current end', async (bed) => {
  const log = bed.scratch.path('memhog.log');
  const pid = bed.start(['sh', '-c', `exec ${workload('log-writer')} >> ${log}`]);
  const linesNow = () => lineNumbers(fs.readFileSync(log, 'utf8')).length;
  await waitUntil('the log to start', () => fs.existsSync(log) && linesNow() >= 5);

  // Each checkpoint's last line lies between the lines logged before its dump began and after it ended.
  const checkpoints: { dir: string; from: number; to: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const from = linesNow();
    const dir = bed.scratch.path(`img${i}`);
    await dump(pid, dir, ['--leave-running']);
    checkpoints.push({ dir, from, to: linesNow() });
    await waitUntil('the log to grow past the checkpoint', () => linesNow() >= checkpoints[i]!.to + 10);
  }
  process.kill(pid, 'SIGKILL');
  await waitGone(pid);

  for (const { dir, from, to } of checkpoints) {
    const before = fs.readFileSync(log, 'utf8');
    await restoreDetached(dir);
    await waitUntil('the restored program to log', () => fs.readFileSync(log, 'utf8').length >= before.length + 10 * 'line 0000\n'.length);
    process.kill(pid, 'SIGKILL');
    await waitGone(pid);
    const afterwards = fs.readFileSync(log, 'utf8');
    assert.equal(afterwards.slice(0, before.length), before, 'what the log held is left as it was');
    const appended = lineNumbers(afterwards.slice(before.length));
    const first = appended[0]!;
    assert.ok(first - 1 >= from && first - 1 <= to, `the restored program goes on from its checkpoint (line ${first}, checkpoint between ${from} and ${to})`);
    assert.deepEqual(appended, appended.map((_, i) => first + i), 'it logs every line once, in order');
  }
});
