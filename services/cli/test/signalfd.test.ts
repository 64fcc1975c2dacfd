// signalfds: each reads the same signals in the same mode after restore, and a signal queued for
// it before the dump is still there to read.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('signalfds keep their masks and modes, and the signal waiting on one is read after restore', async (bed) => {
  const pid = bed.start([workload('signalfd')]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
