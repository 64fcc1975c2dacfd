// A failure in any restore stage, at any participant, leaves nothing behind: no task of the tree,
// no helper, no stub; and the same image restores fine afterwards.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { STAGES } from '@ferry/restorer';
import { removeBuiltWorkloads, bedTest, startTreeIn, treeOf, treeCheck, dump, restoreDetached, assertInjectedFailuresLeaveNothing } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('a failure injected in each stage, or at one participant, removes everything the restore made', async (bed) => {
  const tree = await startTreeIn(bed);
  const img = bed.scratch.path('img');
  await dump(tree.root, img);

  await assertInjectedFailuresLeaveNothing(img, tree.pids, STAGES);

  await restoreDetached(img);
  assert.deepEqual(treeOf(tree.root).sort(), [...tree.pids].sort());
  assert.equal(await treeCheck(tree), 'check ok');
});
