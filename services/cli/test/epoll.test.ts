// eventfds and epoll instances: counters, modes, watch lists and their user data come back, and
// the program can still change its watches by fd number.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('an epoll over a semaphore eventfd and a non-blocking one works on after restore', async (bed) => {
  const pid = bed.start([workload('epoll')]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
