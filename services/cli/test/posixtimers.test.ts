// POSIX timers and interval timers: each timer comes back with its id, clock, notification (a
// thread's own and glibc's SIGEV_THREAD included), signal value, period and time left, and goes
// on firing; setitimer's timers keep theirs. A restore that fails after making them leaves
// nothing behind.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck, ferry, assertNothingLeft, assertFailedWith, statusFields } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('POSIX timers keep their ids, notifications and times, and interval timers theirs', async (bed) => {
  const pid = bed.start([workload('posixtimers')]);
  await bed.output.next(/^ready/);
  const img = bed.scratch.path('img');
  const threads = fs.readdirSync(`/proc/${pid}/task`).length;
  await dump(pid, img);
  // The page digests come after every thread in RESTORE_CREDS, the leader last, which made the timers.
  const failed = await ferry(['restore', '-D', img, '-d'], { env: { FERRY_FAIL_STAGE: `RESTORE_CREDS:${threads + 1}` } });
  assert.match(failed.stderr, /^ferry restore: .*stage RESTORE_CREDS: .*FERRY_FAIL_STAGE.*\n$/);
  assertNothingLeft('a restore failing after the timers were made', [pid], failed.pid);
  await restoreDetached(img);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a timer on the CPU clock of the thread that made it, in a process of several threads, makes the dump fail and the process goes on', async (bed) => {
  const pid = bed.start([workload('posixtimers'), 'thread-clock']);
  await bed.output.next(/^ready/);
  const img = bed.scratch.path('img');
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', img]), 'dump',
    `pid ${pid}: POSIX timer 6 counts the CPU time of the thread that made it, which /proc does not name: not supported yet`);
  assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
  assert.equal(statusFields(pid, ['TracerPid']).TracerPid, '0', 'no longer traced');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
