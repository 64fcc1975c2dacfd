// A failure in any restore stage, at any participant, leaves nothing behind: no task of the tree,
// no helper, no stub; and the same image restores fine afterwards.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { STAGES } from '@ferry/restorer';
import { removeBuiltWorkloads, Scratch, treeOf, waitGone, withTree, treeCheck, ferryOk, assertInjectedFailuresLeaveNothing } from '@ferry/testbed';

after(removeBuiltWorkloads);

test('a failure injected in each stage, or at one participant, removes everything the restore made', async () => {
  const scratch = new Scratch();
  await withTree(scratch, async (tree) => {
    await ferryOk(['dump', '-t', String(tree.root), '-D', scratch.path('img')]);
    for (const pid of tree.pids) await waitGone(pid);

    await assertInjectedFailuresLeaveNothing(scratch.path('img'), tree.pids, STAGES);

    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    assert.deepEqual(treeOf(tree.root).sort(), [...tree.pids].sort());
    assert.equal(await treeCheck(tree), 'check ok');
  });
});
