// ferry restore --checkpoint ID --host H: a checkpoint stored on the image server restored by H's
// agent, on another host (b, its own pids) or on this one (a), and the restored pid printed; both
// copies then checkpointed by their agents at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, waitGone, ferry, ferryOk, assertFailedWith, withCluster, askPause, listed, startPauseClock, withPagesFromBoth } from '@ferry/testbed';

test('a stored checkpoint restored by the agents of b and of a: each prints the pid, both copies carry on and are checkpointed by their agents at once; clear failures', () => withCluster({}, (c) => withPagesFromBoth(c, async () => {
  const env = { env: c.env };
  const clock = await startPauseClock(c);
  // A checkpoint without --leave-running ends the process, as `ferry dump` does.
  const id = (await ferryOk(['checkpoint', '--host', 'a', '--pid', String(clock.pid)], env)).stdout.trim();
  await waitGone(clock.pid);
  const created = Date.parse((await listed(c)).checkpoints.find((k) => k.checkpointId === id)!.createdAt);
  await sleep(500);

  assert.equal((await ferryOk(['restore', '--checkpoint', id, '--host', 'b'], env)).stdout, `${clock.pid}\n`);
  const there = c.b.outerPid(clock.pid);
  assert.ok(there !== undefined && there !== clock.pid, `pid ${clock.pid} of b is ${there} here`);
  assert.equal((await ferryOk(['restore', '--checkpoint', id, '--host', 'a'], env)).stdout, `${clock.pid}\n`, 'here, with its pid free again');
  assertFailedWith(await ferry(['restore', '--checkpoint', id, '--host', 'b'], env), 'restore', new RegExp(`on b: (.*: )?pid ${clock.pid} is already in use .*`));

  for (const pid of [there, clock.pid]) {
    const resumed = await askPause(pid, clock.out);
    assert.ok(resumed.pausedAt >= created - 50 && resumed.pausedAt <= created + 1000, `frozen at ${resumed.pausedAt}, the checkpoint created at ${created}`);
    assert.ok(resumed.pausedFor >= 500, `paused ${resumed.pausedFor} ms`);
    assert.ok((await askPause(pid, clock.out)).ticks > resumed.ticks, `pid ${pid} carries on`);
  }
  // Both copies are their agents' children now, checkpointed by them at the same time.
  const again = await Promise.all(['a', 'b'].map((host) => ferryOk(['checkpoint', '--host', host, '--pid', String(clock.pid), '--leave-running'], env)));
  const jobs = (await listed(c, ['a', 'b'])).jobs.filter((j) => j.status === 'completed');
  assert.deepEqual(jobs.map((j) => [j.host, j.checkpointId]).sort(), [['a', id], ['a', again[0]!.stdout.trim()], ['b', again[1]!.stdout.trim()]].sort());
  const stored = (await listed(c)).checkpoints;
  assert.deepEqual(again.map((r) => stored.find((k) => k.checkpointId === r.stdout.trim())?.workload.split(':').slice(0, 2)), [['a', `${clock.pid}`], ['b', `${clock.pid}`]]);
  assert.ok((await askPause(there, clock.out)).ticks > 0 && (await askPause(clock.pid, clock.out)).ticks > 0, 'both run on');

  assertFailedWith(await ferry(['restore', '--checkpoint', id, '--host', 'c'], env), 'restore', 'no agent serves host c: start `ferry agent --host c` there');
  assertFailedWith(await ferry(['restore', '-D', c.scratch.path('img'), '--host', 'b'], env), 'restore', '--host restores a checkpoint of the image server: give --checkpoint ID, not -D');
  assertFailedWith(await ferry(['restore', '--checkpoint', id, '--host', 'b', '--pidfile', c.scratch.path('pid')], env), 'restore', '--pidfile does not go with --host: the agent there restores the tree detached');
  await ferryOk(['checkpoint', 'delete', id], env);
  assert.deepEqual((await listed(c)).checkpoints.filter((k) => k.checkpointId === id), []);
  assertFailedWith(await ferry(['restore', '--checkpoint', id, '--host', 'b'], env), 'restore', `on b: the image server refused: no committed checkpoint ${id}`);
})));
