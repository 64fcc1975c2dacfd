// timerfds: each comes back on its clock with its mode, its period, its time left (or, for an
// absolute realtime timer, its expiry) and the expirations the program had not read yet; an epoll
// watching one wakes when it fires.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('timerfds keep their times, modes and unread expirations across a restore, and wake the epoll watching one', async (bed) => {
  const pid = bed.start([workload('timerfd')]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'the timers go on counting after the first check');
});
