// Faults during a migration from a to b, each ending with exactly one copy of the tree running:
// agents killed (b while it forks or restores the tree, a after the freeze), NATS stopped while
// the pages stream, Redis stopped while b restores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStat, sleep, waitUntil, treeCheck, withCluster, startTree, startMemory, startMigration, strays, assertMovedToB, notTakenOver, waitForPagesAtB, type Cluster } from '@ferry/testbed';

/** The tree must run on a, checking out, with nothing of it (or of the restore) left on b. */
async function stayedOnA(c: Cluster, tree: Awaited<ReturnType<typeof startTree>>): Promise<void> {
  assert.equal(await treeCheck(tree), 'check ok', 'the tree runs on a');
  await waitUntil('nothing left on b', () => strays(c).length === 0)
    .catch((e: Error) => { throw new Error(`${e.message}: ${strays(c).map((pid) => JSON.stringify(readStat(pid))).join(', ')}`); });
}

/** The tree workload started on a and on its way to b, where the restore has reached STAGE. */
async function treeMigratingIn(c: Cluster, stage: string) {
  const tree = await startTree(c);
  const migration = startMigration(c, tree.root);
  await migration.reached(stage);
  return { tree, migration };
}

/** The memory workload started on a, its migration under way with pages arriving at b. */
async function memoryStreamingToB(c: Cluster) {
  const memory = await startMemory(c);
  const migration = startMigration(c, memory.pid);
  await waitForPagesAtB(4 << 20);
  return { memory, migration };
}

for (const stage of ['FORKING', 'RESTORE']) {
  test(`agent b killed during ${stage}: the tree runs on a and nothing on b`, () =>
    withCluster({ envB: { FERRY_SLOW_STAGE: `${stage}:1:4000` } }, async (c) => {
      const { tree, migration } = await treeMigratingIn(c, stage);
      await c.agentB.kill();
      const r = await migration.result;
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, notTakenOver(tree.root, 'the agent of host b stopped answering'));
      await stayedOnA(c, tree);
    }));
}

test('agent a killed after the freeze: its migration goes on without it and the tree runs on b only', () =>
  withCluster({ envB: { FERRY_SLOW_STAGE: 'RESTORE:1:2000' } }, async (c) => {
    const { tree, migration } = await treeMigratingIn(c, 'RESTORE');
    await c.agentA.kill();
    const r = await migration.result;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).pidThere, tree.root);
    await assertMovedToB(c, tree);
  }));

test('agent b killed while the pages stream to it: the migration fails naming it, the process runs on a, nothing on b', () =>
  withCluster({}, async (c) => {
    const { memory, migration } = await memoryStreamingToB(c);
    await c.agentB.kill();
    const r = await migration.result;
    assert.notEqual(r.status, 0);
    // Mid-stream, or (a fast stream) once committed and waiting for b to take it.
    assert.match(r.stderr, /^ferry migrate: .*(the agent of host b is gone \(.*page stream.*\)|the agent of host b stopped answering).*\n$/);
    assert.equal(await memory.check(), 'check ok', 'the process runs on a');
    assert.deepEqual(strays(c), [], 'nothing on b');
  }));

test('NATS stopped while the pages stream out: the migration fails, the process runs on a, nothing on b', () =>
  withCluster({}, async (c) => {
    const { memory, migration } = await memoryStreamingToB(c);
    await c.nats.stop();
    const r = await migration.result;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^ferry migrate: .+\n$/);
    assert.equal(await memory.check(), 'check ok', 'the process runs on a');
    await waitUntil('nothing left on b', () => strays(c).length === 0);
  }));

test('Redis stopped while b restores: b gives up, a keeps the tree frozen until Redis is back, then runs it', () =>
  withCluster({ envB: { FERRY_SLOW_STAGE: 'RESTORE:1:2000' } }, async (c) => {
    const { tree, migration } = await treeMigratingIn(c, 'RESTORE');
    await c.redis.stop();
    await waitUntil('a to hold the tree for Redis', () => /Redis at .* does not answer .*: pid \d+ stays frozen until it does/.test(c.agentA.output), 15_000)
      .catch((e: Error) => { throw new Error(`${e.message}; agent a said: ${c.agentA.output}; agent b said: ${c.agentB.output}`); });
    await sleep(500);
    assert.equal(strays(c).length, 0, 'b removed what it had made');
    await c.redis.restart();
    const r = await migration.result;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, notTakenOver(tree.root, 'lost Redis at .*'));
    await stayedOnA(c, tree);
  }));
