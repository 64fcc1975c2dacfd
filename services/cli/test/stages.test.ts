// A failure in any restore stage, at any participant, leaves nothing behind: no task of the tree,
// no helper, no stub; and the same image restores fine afterwards.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { STAGES } from '@ferry/restorer';
import { removeBuiltWorkloads } from './harness/build.js';
import { Scratch } from './harness/scratch.js';
import { treeOf, waitGone } from './harness/processes.js';
import { withTree, treeCheck } from './harness/tree-workload.js';
import { ferry, ferryOk } from './harness/ferry.js';

after(removeBuiltWorkloads);

function stubsOf(ferryPid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith(`ferry-restore-stub-${ferryPid}\0`);
    } catch {
      return false;
    }
  }).map(Number);
}

test('a failure injected in each stage, or at one participant, removes everything the restore made', async () => {
  const scratch = new Scratch();
  await withTree(scratch, async (tree) => {
    await ferryOk(['dump', '-t', String(tree.root), '-D', scratch.path('img')]);
    for (const pid of tree.pids) await waitGone(pid);

    const failures = [...STAGES, 'FORKING:2', 'RESTORE:3', 'RESTORE_CREDS:1'];
    for (const failure of failures) {
      const r = await ferry(['restore', '-D', scratch.path('img'), '-d'], { env: { FERRY_FAIL_STAGE: failure } });
      assert.notEqual(r.status, 0, `${failure}: restore should fail`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `${failure}: one line of error, got ${r.stderr}`);
      assert.match(lines[0]!, new RegExp(`stage ${failure.split(':')[0]}: .*FERRY_FAIL_STAGE`));
      for (const pid of tree.pids) assert.equal(fs.existsSync(`/proc/${pid}`), false, `${failure}: pid ${pid} left behind`);
      assert.deepEqual(stubsOf(r.pid), [], `${failure}: restore stub left behind`);
    }

    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    assert.deepEqual(treeOf(tree.root).sort(), [...tree.pids].sort());
    assert.equal(await treeCheck(tree), 'check ok');
  });
});
