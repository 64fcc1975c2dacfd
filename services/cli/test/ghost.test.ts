// Files unlinked while still open ("ghost files") travel in the checkpoint, up to --ghost-limit:
// the restored process finds them unlinked, with their bytes, mode and offsets, even when their
// path holds another file by then, which the restore leaves alone.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, type TestBed, dump, restoreDetached, askCheck, ferry, assertFailedWith } from '@ferry/testbed';

after(removeBuiltWorkloads);

async function startGhost(bed: TestBed, size?: number): Promise<{ pid: number; path: string }> {
  const path = bed.scratch.path('ghost.data');
  const pid = bed.start([workload('ghost'), path, ...(size === undefined ? [] : [String(size)])]);
  await bed.output.next(/^ready$/);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  return { pid, path };
}

bedTest('a file unlinked while open comes back unlinked, with its bytes, mode, offsets and shared descriptions', async (bed) => {
  const { pid, path } = await startGhost(bed);
  await dump(pid, bed.scratch.path('img'));
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(fs.existsSync(path), false, 'the restore leaves no file at its path');
  assert.deepEqual(fs.readdirSync(bed.scratch.path('.')).filter((f) => f.startsWith('ghost.data')), [], 'nor beside it');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a ghost file whose path holds another file by restore comes back beside it, the other file untouched', async (bed) => {
  const { pid, path } = await startGhost(bed);
  await dump(pid, bed.scratch.path('img'));
  fs.writeFileSync(path, 'another file');
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(fs.readFileSync(path, 'utf8'), 'another file');
  assert.deepEqual(fs.readdirSync(bed.scratch.path('.')).filter((f) => f.startsWith('ghost.data')), ['ghost.data'], 'nothing is left beside it');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a ghost file above the ghost limit fails the dump saying which option to give, and the process runs on; raised, it dumps', async (bed) => {
  const size = 2 << 20;
  const { pid, path } = await startGhost(bed, size);
  const img = bed.scratch.path('img');
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', img]), 'dump',
    `unsupported file descriptor 5: ${path} (deleted) of pid ${pid} (a deleted file of ${size} bytes, more than the ghost limit of ${1 << 20}: dump with --ghost-limit ${size} or more)`);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', img, '--ghost-limit', '1M']), 'dump', new RegExp(`unsupported file descriptor 5: .*, more than the ghost limit of 1048576: dump with --ghost-limit ${size} or more\\)`));
  await dump(pid, img, ['--ghost-limit', '3M']);
  await restoreDetached(img);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
