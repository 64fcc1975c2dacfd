// Pre-copy, locally: `ferry pre-dump` copies a running tree's memory and leaves it running with its
// writes tracked (userfaultfd write-protect, no soft-dirty here); `ferry dump --prev-images-dir
// --track-mem` then copies only what changed, and the restore from it gives the whole memory back.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck, ferry, ferryOk, assertFailedWith, copyImage, flipByte, type TestBed } from '@ferry/testbed';

after(removeBuiltWorkloads);

const pagesBytes = (dir: string) => fs.statSync(path.join(dir, 'pages.img')).size;
const fdLinks = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function started(bed: TestBed, threads: number): Promise<number> {
  const pid = bed.start([workload('precopy', ['-pthread']), '32', String(threads), '200']);
  await bed.output.next(/^ready/);
  return pid;
}

/** The workload's verdict, and how many page writes it has made (see workloads/precopy.c). */
async function checked(bed: TestBed, pid: number): Promise<{ verdict: string; writes: number }> {
  const verdict = await askCheck(pid, bed.output);
  return { verdict, writes: Number((await bed.output.next(/^writes /)).split(' ')[1]) };
}

/** After a restore from an incremental image: the memory checks out and is not the pre-dump's. */
async function assertWholeAndRecent(bed: TestBed, pid: number, writesBeforeDump: number): Promise<void> {
  const after = await checked(bed, pid);
  assert.equal(after.verdict, 'check ok');
  assert.ok(after.writes >= writesBeforeDump, `${after.writes} page writes after the restore, ${writesBeforeDump} before the dump: pages written since the pre-dump are lost`);
}

async function preDump(pid: number, dir: string): Promise<void> {
  await ferryOk(['pre-dump', '-t', String(pid), '-D', dir]);
}

/** Pre-dump into BED's `pre`, let the workload run (RESHAPE: remap its areas), dump into `final`. */
async function preCopied(bed: TestBed, pid: number, reshape = false): Promise<{ pre: string; final: string; writes: number }> {
  const pre = bed.scratch.path('pre');
  const final = bed.scratch.path('final');
  await preDump(pid, pre);
  const atPreDump = await checked(bed, pid);
  assert.equal(atPreDump.verdict, 'check ok', 'the workload runs on after the pre-dump');
  if (reshape) {
    process.kill(pid, 'SIGUSR2');
    await bed.output.next(/^reshaped/);
  }
  await sleep(500);
  const { writes } = await checked(bed, pid);
  assert.ok(writes > atPreDump.writes + 50, 'the workload wrote pages after the pre-dump');
  await dump(pid, final, ['--prev-images-dir', '../pre', '--track-mem']);
  return { pre, final, writes };
}

bedTest('a dump after a pre-dump copies only the pages written since, and restores the whole memory', async (bed) => {
  const pid = await started(bed, 1);
  const { pre, final, writes } = await preCopied(bed, pid);
  assert.ok(pagesBytes(pre) > 44 << 20, `the pre-dump copied everything (${pagesBytes(pre)} bytes)`);
  // 200 pages a second rewritten for the 2-3 s in between, ~2 MiB; the mappings not tracked come whole.
  assert.ok(pagesBytes(final) < pagesBytes(pre) / 8, `the dump wrote ${pagesBytes(final)} bytes of pages against the pre-dump's ${pagesBytes(pre)}`);
  assert.equal(fs.readlinkSync(path.join(final, 'parent')), '../pre');
  await restoreDetached(final);
  await assertWholeAndRecent(bed, pid, writes);
});

bedTest('the pre-dump leaves the tree running with its tracking at a high fd, which the final dump takes away', async (bed) => {
  const pid = await started(bed, 1);
  const pre = bed.scratch.path('pre');
  await preDump(pid, pre);
  const tracking = JSON.parse(fs.readFileSync(path.join(pre, 'tracking.json'), 'utf8')) as Record<string, number>;
  assert.ok(tracking[pid]! >= 3, 'the task keeps its userfaultfd at a recorded fd');
  assert.equal(fs.readlinkSync(`/proc/${pid}/fd/${tracking[pid]}`), 'anon_inode:[userfaultfd]');
  await dump(pid, bed.scratch.path('final'), ['--prev-images-dir', pre, '--track-mem', '--leave-running']);
  assert.ok(!fdLinks(pid).includes('anon_inode:[userfaultfd]'), 'the dump closed it in the task: the program is untracked');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('mappings unmapped and mapped again, moved by mremap or dropped by MADV_DONTNEED between pre-dump and dump come back as they are now', async (bed) => {
  const pid = await started(bed, 1);
  const { final, writes } = await preCopied(bed, pid, true);
  await restoreDetached(final);
  await assertWholeAndRecent(bed, pid, writes);
});

bedTest('four threads writing between pre-dump and dump: every page they wrote comes back', async (bed) => {
  const pid = await started(bed, 4);
  const { pre, final, writes } = await preCopied(bed, pid);
  assert.ok(pagesBytes(final) < pagesBytes(pre) / 8, `the dump wrote ${pagesBytes(final)} bytes of pages against the pre-dump's ${pagesBytes(pre)}`);
  await restoreDetached(final);
  await assertWholeAndRecent(bed, pid, writes);
});

bedTest('an incremental image whose parent is missing, another checkpoint or damaged is refused in one line before anything is made', async (bed) => {
  const pid = await started(bed, 1);
  const { pre, final } = await preCopied(bed, pid);
  const missing = copyImage(final, bed.scratch.path('missing'));
  fs.rmSync(path.join(missing, 'parent'));
  assertFailedWith(await ferry(['restore', '-D', missing, '-d']), 'restore', new RegExp(`${missing}/parent: missing; the image refers to parent checkpoint [0-9a-f-]+ for its pages`));

  const otherPre = bed.scratch.path('other-pre');
  const sleeper = bed.start(['sleep', '1000']);
  await preDump(sleeper, otherPre);
  const wrong = copyImage(final, bed.scratch.path('wrong'));
  fs.rmSync(path.join(wrong, 'parent'));
  fs.symlinkSync(otherPre, path.join(wrong, 'parent'));
  assertFailedWith(await ferry(['restore', '-D', wrong, '-d']), 'restore', /parent image .* is checkpoint [0-9a-f-]+, not [0-9a-f-]+ which the image was dumped against/);

  flipByte(path.join(pre, 'pages.img'), 4096 * 10 + 7);
  assertFailedWith(await ferry(['restore', '-D', final, '-d']), 'restore', /parent image \.\.\/pre \(of .*\): pages\.img: crc mismatch .*/);
  assert.throws(() => process.kill(pid, 0), 'no process came back');
});

bedTest('dump --prev-images-dir without --track-mem, or of a directory that is no pre-dump, is refused in one line and the tree runs on', async (bed) => {
  const pid = await started(bed, 1);
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('a'), '--prev-images-dir', '../pre']), 'dump', '--prev-images-dir and --track-mem go together: the pages left out are known from the tracking the pre-dump armed');
  const whole = bed.scratch.path('whole');
  await dump(pid, whole, ['--leave-running']);
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('b'), '--prev-images-dir', whole, '--track-mem']), 'dump', `${whole}/tracking.json: missing: ${whole} is not a pre-dump (ferry pre-dump writes it)`);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a pre-dump or a dump --track-mem that fails leaves the tree running and untracked', async (bed) => {
  const pid = await started(bed, 2);
  const pre = bed.scratch.path('pre');
  assertFailedWith(await ferry(['pre-dump', '-t', String(pid), '-D', pre], { env: { FERRY_FAIL_DUMP: 'commit' } }), 'pre-dump', 'dump failed before its commit (FERRY_FAIL_DUMP)');
  assert.ok(!fdLinks(pid).includes('anon_inode:[userfaultfd]'), 'no userfaultfd left in the task');
  assert.ok(!fs.existsSync(path.join(pre, 'tracking.json')));
  assert.equal(await askCheck(pid, bed.output), 'check ok');

  await preDump(pid, pre);
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('final'), '--prev-images-dir', '../pre', '--track-mem'], { env: { FERRY_FAIL_DUMP: 'commit' } }), 'dump', 'dump failed before its commit (FERRY_FAIL_DUMP)');
  assert.ok(!fdLinks(pid).includes('anon_inode:[userfaultfd]'), 'the failed dump took the tracking away');
  assert.ok(!fs.existsSync(path.join(bed.scratch.path('final'), 'parent')), 'no parent link is left of the failed dump');
  assert.ok(!fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').includes(' uw'), 'no mapping is registered for write-protect any more');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
