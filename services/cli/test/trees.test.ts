// Whole trees: shape, ids, threads, zombies and shared memory come back as they were.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, startTreeIn, dumpAndRestore, readStat, treeOf, threadsOf, waitForLine, waitUntil, type TaskStat, treeCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

// By pid: the order of a parent's children list follows reparenting races (which orphan's
// leader exited first), which is nothing a restore should or can reproduce.
function shape(root: number): Omit<TaskStat, 'comm'>[] {
  return treeOf(root).sort((a, b) => a - b).map((pid) => {
    const { comm: _comm, ...rest } = readStat(pid)!;
    return rest;
  });
}

bedTest('a tree with a threaded child in its own group, a grandchild, a zombie and shared memory comes back whole', async (bed) => {
  const tree = await startTreeIn(bed);
  const { root, pids } = tree;
  const before = shape(root);
  const threadsBefore = threadsOf(pids[1]!);
  assert.equal(before.length, 5, 'root, two children, a grandchild and a zombie');
  assert.ok(before.some((t) => t.state === 'Z'));

  await dumpAndRestore(root, bed.scratch.path('img'));

  const liveness = (t: Omit<TaskStat, 'comm'>) => ({ ...t, state: t.state === 'Z' ? 'Z' : 'live' });
  assert.deepEqual(shape(root).map(liveness), before.map(liveness));
  assert.deepEqual(threadsOf(pids[1]!), threadsBefore);
  const zombie = before.find((t) => t.state === 'Z')!;
  assert.equal(readStat(zombie.pid)!.comm, 'tree');
  assert.equal(await treeCheck(tree), 'check ok');
});

bedTest('orphans in a session and a group whose leaders died come back in them, through helpers that are gone afterwards', async (bed) => {
  const out = bed.output.file;
  const root = bed.start([workload('lost-leaders')]);
  const [, sessionLeader, groupLeader] = (await waitForLine(out, /^(ready|setup failed)/)).split(' ').map(Number);
  bed.adoptTree(root);
  const before = shape(root);
  const idsOf = (tasks: { sid: number; pgid: number }[]) => tasks.map((t) => `${t.sid}/${t.pgid}`).sort();
  assert.deepEqual(idsOf(before.slice(1)), idsOf([{ sid: sessionLeader!, pgid: sessionLeader! }, { sid: root, pgid: groupLeader! }]),
    `the workload's own shape (root ${root}, leaders ${sessionLeader} and ${groupLeader}): ${JSON.stringify(before)}; its output: ${fs.readFileSync(out, 'utf8')}`);

  await dumpAndRestore(root, bed.scratch.path('img'));

  assert.deepEqual(shape(root), before);
  for (const helper of [sessionLeader!, groupLeader!]) assert.equal(fs.existsSync(`/proc/${helper}`), false, `helper ${helper} is still there`);
  process.kill(-sessionLeader!, 'SIGUSR1');
  await waitForLine(out, /^B got SIGUSR1/);
  process.kill(-groupLeader!, 'SIGUSR1');
  await waitForLine(out, /^D got SIGUSR1/);
});

bedTest('a file mapping and an open file shared by parent and child stay shared', async (bed) => {
  const log = bed.scratch.path('log');
  const root = bed.start([workload('shared-file'), bed.scratch.path('map'), log]);
  const poke = async (lines: number) => {
    process.kill(root, 'SIGUSR1');
    await waitUntil(`${lines} log lines`, () => fs.readFileSync(log, 'utf8').split('\n').length - 1 === lines);
  };
  await bed.output.next(/^ready/);
  bed.adoptTree(root);
  await poke(2);
  await dumpAndRestore(root, bed.scratch.path('img'));
  await poke(4);
  assert.equal(fs.readFileSync(log, 'utf8'), 'parent 1\nchild saw 1\nparent 2\nchild saw 2\n');
});
