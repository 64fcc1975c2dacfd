// Open files and per-process attributes come back: offsets, access modes and close-on-exec
// flags of regular files, cwd, umask, rlimits, comm and personality.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dumpAndRestore, askCheck, statusFields } from '@ferry/testbed';

after(removeBuiltWorkloads);

const pattern = (length: number) => Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

bedTest('a file being written goes on at its offset, through a dup sharing it, and a reader reads on', async (bed) => {
  const data = bed.scratch.path('data');
  const pid = bed.start([workload('file-writer'), data]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(fs.readFileSync(data, 'utf8'), pattern(1000 + 2 * 600));
});

bedTest('cwd, umask, rlimits, comm and personality are kept', async (bed) => {
  const cwd = bed.scratch.path('cwd');
  fs.mkdirSync(cwd);
  const pid = bed.start([workload('attributes'), cwd]);
  await bed.output.next(/^ready/);
  const seen = () => ({
    cwd: fs.readlinkSync(`/proc/${pid}/cwd`),
    comm: fs.readFileSync(`/proc/${pid}/comm`, 'utf8'),
    limits: fs.readFileSync(`/proc/${pid}/limits`, 'utf8'),
    personality: fs.readFileSync(`/proc/${pid}/personality`, 'utf8'),
    ...statusFields(pid, ['Umask']),
  });
  const before = seen();
  assert.equal(before.comm, 'attrs-comm\n');
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.deepEqual(seen(), before);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
