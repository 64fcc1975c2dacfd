// `ferry restore --stages bullmq`: a tree restored through BullMQ stage barriers on a private,
// password-protected redis-server comes back and works; injected failures in every stage, and a
// Redis killed mid-restore, fail with one line and leave nothing.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { STAGES } from '@ferry/restorer';
import { removeBuiltWorkloads, bedTest, startTreeIn, dump, restoreDetached, treeOf, waitUntil, sleep, treeCheck, type RunningTree, ferry, assertInjectedFailuresLeaveNothing, assertNothingLeft, startRedis, type RedisServer, stageLines } from '@ferry/testbed';

let redis: RedisServer;
before(async () => { redis = await startRedis(); });
after(async () => {
  await redis?.kill();
  removeBuiltWorkloads();
});

const bullmq = () => ['--stages', 'bullmq', '--redis', redis.url];

/** A test whose BODY gets a tree that has been dumped (and so is gone) into IMAGE. */
function dumpedTreeTest(name: string, body: (tree: RunningTree, image: string) => Promise<void>): void {
  bedTest(name, async (bed) => {
    const tree = await startTreeIn(bed);
    const image = bed.scratch.path('img');
    await dump(tree.root, image);
    await body(tree, image);
  });
}

dumpedTreeTest('a tree restored through BullMQ stages comes back, works, and each stage reports its count and timings', async (tree, image) => {
  // The password from its own variable, the URL from the environment: the configuration a service would use.
  const r = await restoreDetached(image, ['--stages', 'bullmq', '-v'], {
    env: { FERRY_REDIS_URL: `redis://127.0.0.1:${redis.port}`, FERRY_REDIS_PASSWORD: redis.password },
  });
  assert.deepEqual(treeOf(tree.root).sort(), [...tree.pids].sort());
  assert.equal(await treeCheck(tree), 'check ok');
  const lines = stageLines(r.stderr);
  assert.deepEqual(lines.map((l) => l.stage), [...STAGES]);
  const byStage = new Map(lines.map((l) => [l.stage, l]));
  assert.equal(byStage.get('RESTORE_NS')!.participants, 0);
  assert.ok(byStage.get('FORKING')!.participants >= tree.pids.length, 'a participant per task at least');
  for (const l of lines) assert.ok(l.barrierMs <= l.ms, `${l.stage}: barrier within the stage`);
  console.log(`barrier ms per stage: ${lines.map((l) => `${l.stage} ${l.barrierMs}`).join(', ')}`);
});

dumpedTreeTest('a failure injected in each stage through BullMQ removes everything the restore made', async (tree, image) => {
  await assertInjectedFailuresLeaveNothing(image, tree.pids, STAGES, bullmq());
  await restoreDetached(image, bullmq());
  assert.equal(await treeCheck(tree), 'check ok');
});

dumpedTreeTest('Redis killed in the middle of a restore: one line of error, nothing left, the image still restores', async (tree, image) => {
  const doomed = await startRedis();
  try {
    const restoring = ferry(['restore', '-D', image, '-d', '--redis', doomed.url], {
      env: { FERRY_SLOW_STAGE: 'RESTORE:1:3000', FERRY_STAGE_TIMEOUT_MS: '8000' },
    });
    let ended = false;
    void restoring.then(() => (ended = true));
    // The root forked means FORKING has begun; a moment later RESTORE's first participant waits.
    await waitUntil('the root forked again', () => ended || fs.existsSync(`/proc/${tree.root}`));
    await sleep(300);
    if (ended) assert.fail(`the restore ended before Redis was killed: ${(await restoring).stderr}`);
    const killedAt = Date.now();
    await doomed.kill();
    const r = await restoring;
    assert.ok(Date.now() - killedAt < 8000, 'failed within the stage timeout');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`^ferry restore: stage RESTORE: redis 127\\.0\\.0\\.1:${doomed.port}: [^\\n]+\\n$`));
    assertNothingLeft('redis killed', tree.pids, r.pid);
    await restoreDetached(image, bullmq());
    assert.equal(await treeCheck(tree), 'check ok');
  } finally {
    await doomed.kill();
  }
});

dumpedTreeTest('no Redis there: the restore fails at once, before making anything', async (tree, image) => {
  const r = await ferry(['restore', '-D', image, '-d', '--redis', `redis://127.0.0.1:${redis.port}`]);
  assert.match(r.stderr, new RegExp(`^ferry restore: redis 127\\.0\\.0\\.1:${redis.port}: NOAUTH[^\\n]*\\n$`));
  assertNothingLeft('no redis', tree.pids, r.pid);
});
