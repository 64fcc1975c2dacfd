// memfds come back as memfds: their names, every byte, size, mode and seals, each description at
// its offset and with its access mode, two descriptions of one memfd still on one file; and
// mappings of memfds and of unlinked files map the same file again.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('memfds (sealed, sparse, reopened through /proc) come back with their names, contents, seals, modes and offsets', async (bed) => {
  const pid = bed.start([workload('memfd')]);
  await bed.output.next(/^ready$/);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  await dump(pid, bed.scratch.path('img'));
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'and again: the first check left the bytes as they were');
});

bedTest('shared writable mappings of a memfd whose fd is closed, of one still open, and of an unlinked file come back on the same files', async (bed) => {
  const path = bed.scratch.path('mapped-ghost');
  const pid = bed.start([workload('mapped-deleted'), path]);
  await bed.output.next(/^ready$/);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  await dump(pid, bed.scratch.path('img'));
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(fs.existsSync(path), false, 'the unlinked file is unlinked again');
});
