// What the CPU held comes back: general and vector registers in the middle of a loop, the float
// control registers, and a vdso that still tells the time.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck, readStat } from '@ferry/testbed';

after(removeBuiltWorkloads);

const hasAvx512 = /\bavx512f\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));

bedTest(`rbx, r12-r15, ymm0-15${hasAvx512 ? ', zmm16-31, k1-7' : ''}, MXCSR and the x87 control word hold across the dump of a spinning loop`, async (bed) => {
  const pid = bed.start([workload('registers', hasAvx512 ? ['-mavx512f'] : [])]);
  await bed.output.next(/^ready/);
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'the check passes before the dump');
  assert.equal(readStat(pid)!.state, 'R', 'spinning in the loop');
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(readStat(pid)!.state, 'R', 'spinning again');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('clock_gettime through the vdso keeps working and agrees with the kernel after a restore', async (bed) => {
  const pid = bed.start([workload('clock')]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'and keeps running its loop');
});
