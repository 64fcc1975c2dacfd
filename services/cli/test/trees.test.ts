// Whole trees: shape, ids, threads, zombies and shared memory come back as they were.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, Scratch, launch, readStat, treeOf, threadsOf, waitForLine, waitGone, waitUntil, killAll, type TaskStat, withTree, treeCheck, ferryOk } from '@ferry/testbed';

after(removeBuiltWorkloads);

// By pid: the order of a parent's children list follows reparenting races (which orphan's
// leader exited first), which is nothing a restore should or can reproduce.
function shape(root: number): Omit<TaskStat, 'comm'>[] {
  return treeOf(root).sort((a, b) => a - b).map((pid) => {
    const { comm: _comm, ...rest } = readStat(pid)!;
    return rest;
  });
}

test('a tree with a threaded child in its own group, a grandchild, a zombie and shared memory comes back whole', async () => {
  const scratch = new Scratch();
  await withTree(scratch, async ({ root, pids, ...tree }) => {
    const before = shape(root);
    const threadsBefore = threadsOf(pids[1]!);
    assert.equal(before.length, 5, 'root, two children, a grandchild and a zombie');
    assert.ok(before.some((t) => t.state === 'Z'));

    await ferryOk(['dump', '-t', String(root), '-D', scratch.path('img')]);
    for (const pid of pids) await waitGone(pid);
    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);

    const liveness = (t: Omit<TaskStat, 'comm'>) => ({ ...t, state: t.state === 'Z' ? 'Z' : 'live' });
    assert.deepEqual(shape(root).map(liveness), before.map(liveness));
    assert.deepEqual(threadsOf(pids[1]!), threadsBefore);
    const zombie = before.find((t) => t.state === 'Z')!;
    assert.equal(readStat(zombie.pid)!.comm, 'tree');
    assert.equal(await treeCheck({ root, pids, ...tree }), 'check ok');
  });
});

test('orphans in a session and a group whose leaders died come back in them, through helpers that are gone afterwards', async () => {
  const scratch = new Scratch();
  const out = scratch.path('out');
  const root = launch([workload('lost-leaders')], { newSession: true, output: out });
  let pids = [root];
  try {
    const [, sessionLeader, groupLeader] = (await waitForLine(out, /^(ready|setup failed)/)).split(' ').map(Number);
    pids = treeOf(root);
    const before = shape(root);
    const idsOf = (tasks: { sid: number; pgid: number }[]) => tasks.map((t) => `${t.sid}/${t.pgid}`).sort();
    assert.deepEqual(idsOf(before.slice(1)), idsOf([{ sid: sessionLeader!, pgid: sessionLeader! }, { sid: root, pgid: groupLeader! }]),
      `the workload's own shape (root ${root}, leaders ${sessionLeader} and ${groupLeader}): ${JSON.stringify(before)}; its output: ${fs.readFileSync(out, 'utf8')}`);

    await ferryOk(['dump', '-t', String(root), '-D', scratch.path('img')]);
    for (const pid of pids) await waitGone(pid);
    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);

    assert.deepEqual(shape(root), before);
    for (const helper of [sessionLeader!, groupLeader!]) assert.equal(fs.existsSync(`/proc/${helper}`), false, `helper ${helper} is still there`);
    process.kill(-sessionLeader!, 'SIGUSR1');
    await waitForLine(out, /^B got SIGUSR1/);
    process.kill(-groupLeader!, 'SIGUSR1');
    await waitForLine(out, /^D got SIGUSR1/);
  } finally {
    await killAll(pids);
    scratch.remove();
  }
});

test('a file mapping and an open file shared by parent and child stay shared', async () => {
  const scratch = new Scratch();
  const out = scratch.path('out');
  const log = scratch.path('log');
  const root = launch([workload('shared-file'), scratch.path('map'), log], { newSession: true, output: out });
  let pids = [root];
  const poke = async (lines: number) => {
    process.kill(root, 'SIGUSR1');
    await waitUntil(`${lines} log lines`, () => fs.readFileSync(log, 'utf8').split('\n').length - 1 === lines);
  };
  try {
    await waitForLine(out, /^ready/);
    pids = treeOf(root);
    await poke(2);
    await ferryOk(['dump', '-t', String(root), '-D', scratch.path('img')]);
    for (const pid of pids) await waitGone(pid);
    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    await poke(4);
    assert.equal(fs.readFileSync(log, 'utf8'), 'parent 1\nchild saw 1\nparent 2\nchild saw 2\n');
  } finally {
    await killAll(pids);
    scratch.remove();
  }
});
