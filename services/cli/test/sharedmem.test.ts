// Shared memory between the processes of a tree: a POSIX shared memory object (a file on /dev/shm,
// mapped and open) and System V segments come back with their contents and stay shared, so a
// write of one process is seen by the other after the restore.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('a POSIX shared memory object stays shared between parent and child, mapped and open, with its contents', async (bed) => {
  const name = `/ferry-test-${process.pid}`;
  try {
    const pid = bed.start([workload('sharedmem'), 'posix', name]);
    await bed.output.next(/^ready/);
    assert.equal(await askCheck(pid, bed.output), 'check ok', 'before the dump');
    await dumpAndRestore(pid, bed.scratch.path('img'));
    assert.equal(await askCheck(pid, bed.output), 'check ok');
    assert.equal(await askCheck(pid, bed.output), 'check ok', 'and again');
  } finally {
    fs.rmSync(`/dev/shm${name}`, { force: true });
  }
});
