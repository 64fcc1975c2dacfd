// The hold a live migration needs: the committed tree stays frozen until the target answers;
// it dies if the copy took over, and runs on, untouched, if not.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { dump as dumpHeld } from '@ferry/dumper';
import { bedTest, startTreeIn, readStat, waitAllGone, treeCheck, restoreDetached } from '@ferry/testbed';

/** Every thread of PID in a ptrace stop ('t'). */
const frozen = (pid: number) => fs.readdirSync(`/proc/${pid}/task`).every((tid) => fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.startsWith('t'));

bedTest('a held tree is frozen until told, runs on when not taken over, and dies when taken over', async (bed) => {
  const tree = await startTreeIn(bed);
  const scratch = bed.scratch;
  const seen: boolean[] = [];
  const resumed = await dumpHeld({ pid: tree.root, dir: scratch.path('img1'), holdUntil: async () => {
    seen.push(tree.pids.filter((p) => readStat(p)?.state !== 'Z').every(frozen));
    return 'resume';
  } });
  assert.deepEqual(seen, [true], 'frozen while the target decides');
  assert.equal(resumed.fate, 'resume');
  assert.equal(await treeCheck(tree), 'check ok');

  await assert.rejects(dumpHeld({ pid: tree.root, dir: scratch.path('img2'), holdUntil: async () => { throw new Error('target lost'); } }),
    new RegExp(`^Error: checkpoint .* was not taken over \\(target lost\\): pid ${tree.root} runs on here$`));
  assert.equal(await treeCheck(tree), 'check ok');

  const killed = await dumpHeld({ pid: tree.root, dir: scratch.path('img3'), holdUntil: async () => 'kill' });
  assert.equal(killed.fate, 'kill');
  await waitAllGone(tree.pids);
  await restoreDetached(scratch.path('img3'));
  assert.equal(await treeCheck(tree), 'check ok');
});
