// The BullMQ stage barrier on its own, against a private redis-server: order, reports, failures,
// timeouts, refused jobs, and a Redis that is wrong or gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FlowProducer, Queue } from 'bullmq';
import { STAGES, StageError, type Participant } from '@ferry/restorer';
import { BullStages, redisConfig, stageQueue } from '@ferry/restorer/bullmq';
import { startRedis, type RedisServer } from '@ferry/testbed';

let redis: RedisServer;
before(async () => { redis = await startRedis(); });
after(async () => { await redis?.kill(); });

const silent = { debug() {}, info() {} };
const queue = stageQueue('test-host');

function open(timeoutMs = 5000, url = redis.url): Promise<BullStages> {
  return BullStages.open(redisConfig(url), queue, { timeoutMs, log: silent });
}

function participants(n: number, done: string[], work: (i: number) => void | Promise<void> = () => {}): Participant[] {
  return Array.from({ length: n }, (_, i) => ({ name: `p${i}`, work: async () => { await work(i); done.push(`p${i}`); } }));
}

test('every stage runs its participants in order and reports counts and timings', async () => {
  const stages = await open();
  try {
    const done: string[] = [];
    for (const [i, stage] of STAGES.entries()) await stages.run(stage, participants(i * 3, done));
    assert.equal(done.length, STAGES.reduce((n, _, i) => n + i * 3, 0));
    assert.deepEqual(done.slice(0, 3), ['p0', 'p1', 'p2']);
    assert.deepEqual(done.slice(-18), Array.from({ length: 18 }, (_, i) => `p${i}`));
    for (const [i, stage] of STAGES.entries()) {
      const r = stages.reports.get(stage)!;
      assert.equal(r.participants, i * 3);
      assert.ok(r.barrierMs >= 0 && r.barrierMs <= r.ms, `${stage}: barrier ${r.barrierMs} within ${r.ms}`);
    }
    const barrier = [...stages.reports.values()].map((r) => r.barrierMs.toFixed(1)).join(' ');
    console.log(`barrier overhead per stage (ms): ${barrier}`);
  } finally {
    await stages.close();
  }
});

test('a participant that throws fails its stage, named, and the participants after it never run', async () => {
  const stages = await open();
  try {
    const done: string[] = [];
    await stages.run('RESTORE_NS', []);
    await stages.run('RESTORE_SHARED', []);
    // Nobody to wait for: no flow, no time.
    assert.deepEqual(stages.reports.get('RESTORE_NS'), { participants: 0, ms: 0, barrierMs: 0 });
    const run = stages.run('FORKING', participants(5, done, (i) => { if (i === 2) throw new Error('no such pid'); }));
    await assert.rejects(run, (e: unknown) => e instanceof StageError && e.message === 'stage FORKING: p2: no such pid');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(done, ['p0', 'p1']);
  } finally {
    await stages.close();
  }
});

test('a stage that does not finish in time fails naming the participants still pending', async () => {
  const stages = await open(300);
  try {
    const run = stages.run('RESTORE_NS', participants(3, [], (i) => (i === 1 ? new Promise((r) => setTimeout(r, 1000)) : undefined)));
    await assert.rejects(run, /^Error: stage RESTORE_NS: pending p1, p2: timed out after 300 ms$/);
  } finally {
    await stages.close();
  }
});

test('the worker refuses jobs of a restore it does not know', async () => {
  const stages = await open();
  const connection = redisConfig(redis.url).options;
  const flows = new FlowProducer({ connection, prefix: queue.prefix });
  const jobs = new Queue(queue.name, { connection, prefix: queue.prefix });
  try {
    const stranger = { restore: 'not-a-restore', stage: 'FORKING' };
    const child = { name: 'participant', queueName: queue.name, prefix: queue.prefix, data: { ...stranger, participant: 'task 1' }, opts: { jobId: 'stranger-child', failParentOnFailure: true } };
    await flows.add({ name: 'stage', queueName: queue.name, prefix: queue.prefix, data: stranger, opts: { jobId: 'stranger' }, children: [child] });
    let parent = await jobs.getJob('stranger');
    for (let i = 0; i < 100 && !parent?.failedReason; i++) {
      await new Promise((r) => setTimeout(r, 20));
      parent = await jobs.getJob('stranger');
    }
    assert.equal(await parent!.isFailed(), true, 'the parent fails with its child');
    assert.match((await jobs.getJob('stranger-child'))!.failedReason, /^refused: restore not-a-restore stage FORKING/);
  } finally {
    await jobs.close();
    await flows.close();
    await stages.close();
  }
});

test('a wrong password or no server fails at once with one line naming the server', async () => {
  await assert.rejects(open(5000, `redis://:wrong@127.0.0.1:${redis.port}`), new RegExp(`^Error: redis 127.0.0.1:${redis.port}: WRONGPASS`));
  const t0 = Date.now();
  await assert.rejects(open(5000, 'redis://127.0.0.1:1'), /^Error: redis 127.0.0.1:1: connect ECONNREFUSED/);
  assert.ok(Date.now() - t0 < 3000);
});
