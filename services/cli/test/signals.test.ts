// Signal state comes back: handlers with their flags and masks, the alternate stack, blocked
// signals, and signals pending at the dump with their siginfo.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck, statusFields } from '@ferry/testbed';

after(removeBuiltWorkloads);

const SIGNAL_FIELDS = ['ShdPnd', 'SigPnd', 'SigBlk', 'SigIgn', 'SigCgt'];

bedTest('a SIGUSR1 handler on the alternate stack runs after restore, and blocked SIGUSR2 and queued realtime signals are still pending', async (bed) => {
  const pid = bed.start([workload('signals')]);
  await bed.output.next(/^ready/);
  const before = statusFields(pid, SIGNAL_FIELDS);
  assert.notEqual(BigInt(`0x${before.ShdPnd}`), 0n, 'signals are pending at the dump');
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.deepEqual(statusFields(pid, SIGNAL_FIELDS), before);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
