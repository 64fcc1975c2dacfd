// POSIX timers and interval timers: each timer comes back with its id, clock, notification,
// signal value, period and time left, and goes on firing; setitimer's timers keep theirs.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('POSIX timers keep their ids, notifications and times, and interval timers theirs', async (bed) => {
  const pid = bed.start([workload('posixtimers')]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
