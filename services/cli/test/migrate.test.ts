// ferry migrate --from a --to b: a's agent dumps the tree to the image server and holds it frozen,
// b's agent (its own pid, mount and network namespaces) restores it; afterwards exactly one copy
// runs, on b if it took over, on a if not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STAGES } from '@ferry/restorer';
import { waitUntil, ferry, treeCheck, withCluster, startTree, startMemory, assertMovedToB, notTakenOver, incomingPagesOfB, waitForPagesAtB } from '@ferry/testbed';
import fs from 'node:fs';

test('a tree migrated from a to b runs there with its pids, its progress shown as JSON lines; to a host without an agent it stays on a', () => withCluster({}, async (c) => {
  const tree = await startTree(c);
  const nowhere = await ferry(['migrate', '--pid', String(tree.root), '--from', 'a', '--to', 'c'], { env: c.env });
  assert.equal(nowhere.stderr, 'ferry migrate: no agent serves host c: start `ferry agent --host c` there\n');
  assert.notEqual(nowhere.status, 0);
  assert.equal(await treeCheck(tree), 'check ok', 'the tree runs on here');

  const r = await ferry(['migrate', '--pid', String(tree.root), '--from', 'a', '--to', 'b', '--json'], { env: c.env });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const moved = lines.pop();
  assert.equal(moved.event, 'migrated');
  assert.equal(moved.pidThere, tree.root);
  assert.equal(moved.processes, tree.pids.length);
  assert.deepEqual(Object.keys(moved.stageMs), [...STAGES]);
  assert.ok(moved.downtimeMs > 0 && moved.downtimeMs <= moved.sourceFrozenMs && moved.sourceFrozenMs <= moved.totalMs, `downtime ${moved.downtimeMs}, source frozen ${moved.sourceFrozenMs}, total ${moved.totalMs} ms`);
  assert.equal(moved.pagesVia, 'straight to b');
  assert.ok(lines.every((l) => l.event === 'progress'));
  const stagesSeen = lines.map((l) => l.stage).filter((s) => s && s !== 'queued');
  assert.ok(lines.some((l) => l.phase === 'dumping' && l.pageBytes > 0), 'pages were reported as they streamed');
  assert.ok(stagesSeen.length > 0 && stagesSeen.every((s) => STAGES.includes(s)), `the stages on b: ${stagesSeen}`);
  await assertMovedToB(c, tree);

  // The pages crossed once, straight to b: the image server holds the records only, and says so.
  const stored = JSON.parse((await ferry(['checkpoints', '--json'], { env: c.env })).stdout) as { checkpointId: string; pagesHeldBy?: string; size: number; pageBytes: number }[];
  const checkpoint = stored.find((s) => s.checkpointId === moved.checkpointId);
  assert.equal(checkpoint?.pagesHeldBy, 'b');
  assert.ok(checkpoint.pageBytes > 0 && checkpoint.size < checkpoint.pageBytes, `stored ${checkpoint.size} bytes of a checkpoint with ${checkpoint.pageBytes} bytes of pages`);
  assert.deepEqual(fs.readdirSync(incomingPagesOfB()), [], 'b keeps no pages once restored');
  const elsewhere = await ferry(['restore', '--checkpoint', moved.checkpointId], { env: c.env });
  assert.notEqual(elsewhere.status, 0);
  assert.equal(elsewhere.stderr, `ferry restore: checkpoint ${moved.checkpointId} cannot be restored from the image server: its pages went straight to host b in its migration, and only its records were stored\n`);
}));

test('pages that b\'s agent cannot take (its page stream on its own loopback) go through the image server, and the tree still moves', () =>
  withCluster({ pageStreamB: '127.0.0.1:0' }, async (c) => {
    const tree = await startTree(c);
    const r = await ferry(['migrate', '--pid', String(tree.root), '--from', 'a', '--to', 'b'], { env: c.env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^migrated pid \d+ from a to b \(pid \d+ there\): checkpoint \S+, \d+ processes, [\d.]+ MiB of pages through the image server at /);
    assert.match(c.agentA.output, /the pages go through the image server \(cannot open the page stream to 127\.0\.0\.1:\d+: .+\)/);
    await assertMovedToB(c, tree);
    const stored = JSON.parse((await ferry(['checkpoints', '--json'], { env: c.env })).stdout) as { pagesHeldBy?: string; size: number; pageBytes: number }[];
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.pagesHeldBy, undefined);
    assert.ok(stored[0]!.size > stored[0]!.pageBytes, 'the image server holds the pages');
  }));

test('a target too slow to take over in time leaves the tree running on a and nothing on b', () =>
  // Agent b dawdles in RESTORE, with the tree half made there, past a's patience.
  withCluster({ envA: { FERRY_MIGRATE_TIMEOUT_MS: '2500' }, envB: { FERRY_SLOW_STAGE: 'RESTORE:1:5000' } }, async (c) => {
    const tree = await startTree(c);
    const migrating = ferry(['migrate', '--pid', String(tree.root), '--to', 'b'], { env: { ...c.env, FERRY_HOST: 'a' } });
    await waitUntil('the restore to be under way on b', () => c.b.outerPid(tree.root) !== undefined);
    const r = await migrating;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, notTakenOver(tree.root));
    assert.equal(await treeCheck(tree), 'check ok', 'the tree runs on here');
    await waitUntil('nothing of the tree on b', () => tree.pids.every((pid) => c.b.outerPid(pid) === undefined));
    // The job ends (its fetched copy removed) once the agent has cleaned up.
    await waitUntil('agent b to give the job up', () => /job restore \S+ failed: .*the source took the tree back/.test(c.agentB.output));
  }));

test('an image server killed while the tree streams out fails the migration; the tree runs on a, nothing runs on b', () =>
  withCluster({}, async (c) => {
    const memory = await startMemory(c);
    const migrating = ferry(['migrate', '--pid', String(memory.pid), '--from', 'a', '--to', 'b'], { env: c.env });
    await waitForPagesAtB(4 << 20);
    await c.imageServer.stop('SIGKILL');
    const r = await migrating;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^ferry migrate: .*image server.*\n$/);
    assert.equal(await memory.check(), 'check ok', 'the process runs on a');
    assert.equal(c.b.outerPid(memory.pid), undefined, 'nothing of it on b');
    await waitUntil('b to drop the pages of the failed migration', () => fs.readdirSync(incomingPagesOfB()).length === 0);
  }));
