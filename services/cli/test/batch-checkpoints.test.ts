// ferry checkpoint --host a --pid PID [--every D]: checkpoint jobs on a's agent queue, once or on
// a schedule, listed by `ferry checkpoints --host a`; a checkpoint kept on the image server restored
// on host b (its own pids) while the process still runs on a.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workload, alive, sleep, ferry, ferryOk, assertFailedWith, withCluster, freePort, askPause, eventually, freePid, listed, startPauseClock, type Listed } from '@ferry/testbed';

const createdMs = (k: { createdAt: string }) => Date.parse(k.createdAt);

test('batch: a checkpoint every second, three kept; the second restored on b carries on from it; once stopped no more are taken', () => withCluster({}, async (c) => {
  const clock = await startPauseClock(c);
  const scheduled = await ferryOk(['checkpoint', '--host', 'a', '--pid', String(clock.pid), '--every', '1s', '--keep', '3', '--leave-running'], { env: c.env });
  const schedule = scheduled.stdout.trim();
  assert.equal(schedule, `pid-${clock.pid}`);
  const [listedSchedule] = (await listed(c)).schedules;
  assert.deepEqual({ ...listedSchedule, runs: 0, nextRun: '' }, { host: 'a', schedule, pid: clock.pid, everyMs: 1000, keep: 3, runs: 0, nextRun: '' });

  const taken = (l: Listed) => l.jobs.filter((j) => j.schedule === schedule && j.status === 'completed');
  await eventually('five checkpoints taken', async () => taken(await listed(c)).length >= 5);
  await ferryOk(['checkpoint', 'stop', schedule, '--host', 'a'], { env: c.env });

  const stopped = await listed(c);
  assert.deepEqual(stopped.schedules, []);
  assert.deepEqual(stopped.jobs.filter((j) => j.schedule === schedule && j.status !== 'completed'), [], 'nothing failed, nothing left to run');
  // Every checkpoint of the process is one workload, of which the image server keeps the last three.
  const mine = (l: Listed) => l.checkpoints.filter((k) => k.workload === `a:${clock.pid}:${workload('pause-clock')}`).sort((x, y) => x.createdAt.localeCompare(y.createdAt));
  const kept = mine(stopped);
  assert.equal(kept.length, 3);
  assert.ok(kept.every((k) => k.committed && k.rootPid === clock.pid));
  assert.deepEqual(kept.map((k) => k.checkpointId), taken(stopped).slice(-3).map((j) => j.checkpointId), 'the last three taken');
  assert.ok(taken(stopped).every((j) => j.pageBytes! > 0 && j.time));
  const text = (await ferryOk(['checkpoints', '--host', 'a'], { env: c.env })).stdout;
  for (const k of kept) assert.match(text, new RegExp(`^repeat:${schedule}:\\d+\\s+a\\s+${clock.pid}\\s+completed\\s+\\S+\\s+${k.checkpointId}\\s+\\d+\\.\\d MiB$`, 'm'));

  await sleep(2500);
  const later = await listed(c);
  assert.equal(taken(later).length, taken(stopped).length, 'no checkpoint taken after the stop');
  assert.deepEqual(mine(later), kept);

  // The second of the three, restored on b while the process runs on here: it resumes from the
  // moment that checkpoint froze it, after the first and before the third.
  const [, second, third] = kept as [Listed['checkpoints'][0], Listed['checkpoints'][0], Listed['checkpoints'][0]];
  const restored = await ferryOk(['restore', '--checkpoint', second.checkpointId, '--host', 'b'], { env: c.env });
  assert.equal(restored.stdout, `${clock.pid}\n`, 'its pid there');
  const there = c.b.outerPid(clock.pid);
  assert.ok(there !== undefined && there !== clock.pid, `pid ${clock.pid} of b is ${there} here`);
  const resumed = await askPause(there, clock.out);
  assert.ok(resumed.pausedAt >= createdMs(second) - 50 && resumed.pausedAt < createdMs(third),
    `frozen at ${resumed.pausedAt}: the checkpoints were created at ${kept.map(createdMs)}`);
  assert.ok(resumed.pausedFor >= 2500, `paused ${resumed.pausedFor} ms, from then until the restore (after our 2.5 s wait)`);
  assert.ok((await askPause(there, clock.out)).ticks > resumed.ticks, 'it carries on on b');
  assert.ok(alive(clock.pid), 'and runs on on a');
}));

test('a failed checkpoint is reported with its reason once the retries asked for are spent, and listed so; a wrong command is one clear line', () => withCluster({}, async (c) => {
  const clock = await startPauseClock(c);
  const missing = freePid();
  const t0 = Date.now();
  const both = await ferry(['checkpoint', '--host', 'a', '--pid', String(clock.pid), '--pid', String(missing), '--leave-running', '--retries', '2'], { env: c.env });
  assert.equal(both.stderr, `ferry checkpoint: pid ${missing} on a: no process with pid ${missing} (tried 3 times)\n`);
  assert.notEqual(both.status, 0);
  assert.ok(Date.now() - t0 >= 3000, 'the tries 1 s, then 2 s apart');
  assert.equal(c.agentA.output.split('\n').filter((l) => l.includes(`failed: no process with pid ${missing}`)).length, 3, c.agentA.output);
  const id = both.stdout.trim();

  const l = await listed(c);
  assert.equal(l.checkpoints.find((k) => k.checkpointId === id)?.workload, `a:${clock.pid}:${workload('pause-clock')}`);
  const [good] = l.jobs.filter((j) => j.pid === clock.pid);
  assert.deepEqual([good?.status, good?.checkpointId], ['completed', id]);
  const [bad] = l.jobs.filter((j) => j.pid === missing);
  assert.deepEqual([bad?.status, bad?.attempts, bad?.reason], ['failed', 3, `no process with pid ${missing}`]);
  const text = (await ferryOk(['checkpoints', '--host', 'a'], { env: c.env })).stdout;
  assert.match(text, new RegExp(`^${bad!.job}\\s+a\\s+${missing}\\s+failed\\s+\\S+\\s+-\\s+-\\s+no process with pid ${missing}$`, 'm'));
  assert.equal((await askPause(clock.pid, clock.out)).ticks > 0, true, 'the process runs on');

  const env = { env: c.env };
  assertFailedWith(await ferry(['checkpoint', '--host', 'c', '--pid', String(clock.pid)], env), 'checkpoint', 'no agent serves host c: start `ferry agent --host c` there');
  assertFailedWith(await ferry(['checkpoint', '--host', 'a', '--pid', String(clock.pid), '--every', '1s'], env), 'checkpoint', '--every needs --leave-running: a checkpoint without it ends the process');
  assertFailedWith(await ferry(['checkpoint', '--host', 'a'], env), 'checkpoint', 'which process? give --pid PID');
  assertFailedWith(await ferry(['checkpoint', 'stop', `pid-${clock.pid}`, '--host', 'a'], env), 'checkpoint stop', `no schedule pid-${clock.pid} on host a`);
  const away = `redis://127.0.0.1:${await freePort()}`;
  assertFailedWith(await ferry(['checkpoint', 'stop', `pid-${clock.pid}`, '--host', 'a', '--redis', away], env), 'checkpoint stop', /Redis at 127\.0\.0\.1:\d+ does not answer \(connect ECONNREFUSED .*\)/);
  assert.deepEqual((await listed(c)).jobs.length, 2, 'nothing more was queued');
}));
