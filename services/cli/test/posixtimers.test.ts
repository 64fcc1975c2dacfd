// POSIX timers and interval timers: each timer comes back with its id, clock, notification (a
// thread's own included), signal value, period and time left, and goes on firing; setitimer's
// timers keep theirs. A restore that fails after making them leaves nothing behind.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck, ferry, assertNothingLeft } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('POSIX timers keep their ids, notifications and times, and interval timers theirs', async (bed) => {
  const pid = bed.start([workload('posixtimers')]);
  await bed.output.next(/^ready/);
  const img = bed.scratch.path('img');
  await dump(pid, img);
  // The page digests are the last participant of RESTORE_CREDS, after the leader made its timers.
  const failed = await ferry(['restore', '-D', img, '-d'], { env: { FERRY_FAIL_STAGE: 'RESTORE_CREDS:3' } });
  assert.match(failed.stderr, /^ferry restore: .*stage RESTORE_CREDS: .*FERRY_FAIL_STAGE.*\n$/);
  assertNothingLeft('a restore failing after the timers were made', [pid], failed.pid);
  await restoreDetached(img);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
