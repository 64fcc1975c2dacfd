// memfds come back as memfds: their names, every byte, size, mode and seals, each description at
// its offset and with its access mode, two descriptions of one memfd still on one file.
import { after } from 'node:test';
import assert from 'node:assert/strict';
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
