// One process's memory comes back as it was: every byte of large private and shared areas, zeros
// where nothing was written (and no pages in the image for them), the same mappings, and a heap
// that still grows.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, dumpAndRestore, askCheck, mapsOf, ferryOk } from '@ferry/testbed';

after(removeBuiltWorkloads);

interface ShownVma { start: string; pagesDumped: number }

async function shownVmas(dir: string): Promise<ShownVma[]> {
  const shown = JSON.parse((await ferryOk(['show', dir, '--json'])).stdout);
  return shown.tasks[0].vmas;
}

bedTest('64 MiB private, shared, untouched, sparse, read-only and PROT_NONE areas come back byte for byte', async (bed) => {
  const pid = bed.start([workload('memory')]);
  const ready = await bed.output.next(/^ready/);
  const areas = Object.fromEntries(ready.split(' ').slice(1).map((kv) => kv.split('=')).map(([k, v]) => [k, BigInt(v!)]));
  const mapsBefore = mapsOf(pid);
  const img = bed.scratch.path('img');

  await dump(pid, img);
  const vmas = await shownVmas(img);
  const pagesIn = (start: bigint) => vmas.find((v) => BigInt(v.start) === start)?.pagesDumped;
  assert.equal(pagesIn(areas.private!), 64 * 256, 'every private page is in the image');
  assert.equal(pagesIn(areas.untouched!), 0, 'no page of the untouched area is in the image');
  assert.equal(pagesIn(areas.sparse!), 16 * 256 / 16, 'only the written pages of the sparse area');
  assert.equal(pagesIn(areas.hidden!), 2 * 256, 'every page of the PROT_NONE area, which the task itself cannot read');
  await restoreDetached(img);

  assert.deepEqual(mapsOf(pid), mapsBefore);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

// The dump makes room for the tree's resident size before the freeze (on tmpfs it writes it, see
// makeRoom); the file pages counted in that size are not dumped, so most of the room must be given back.
bedTest('an image on tmpfs holds its pages and no more, and restores', async (bed) => {
  const pid = bed.start([workload('memory')]);
  await bed.output.next(/^ready/);
  const img = fs.mkdtempSync('/dev/shm/ferry-test-img-');
  try {
    await dump(pid, img);
    const { pageBytes } = JSON.parse((await ferryOk(['show', img, '--json'])).stdout) as { pageBytes: number };
    const pages = fs.statSync(path.join(img, 'pages.img'));
    assert.equal(pages.size, pageBytes);
    assert.ok(pages.blocks * 512 <= pageBytes + 4096, `${pages.blocks * 512} bytes held for ${pageBytes} bytes of pages`);
    await restoreDetached(img);
    assert.equal(await askCheck(pid, bed.output), 'check ok');
  } finally {
    fs.rmSync(img, { recursive: true, force: true });
  }
});

bedTest('malloc grows the heap with brk after a restore', async (bed) => {
  const pid = bed.start([workload('heap')]);
  await bed.output.next(/^ready/);
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'the heap grows before the dump');
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'and again after giving memory back');
});
