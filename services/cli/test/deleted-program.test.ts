// A program or shared library deleted while it runs (as a package upgrade does) travels in the
// checkpoint as a ghost file: the restored process runs the same code, its /proc/self/exe reads
// "(deleted)" again, and a newer file at the path by restore is left alone.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadLocalImage } from '@ferry/proto';
import { STAGES } from '@ferry/restorer';
import { workload, removeBuiltWorkloads, compileC, bedTest, type TestBed, dump, restoreDetached, askCheck, ferry, assertFailedWith, assertInjectedFailuresLeaveNothing } from '@ferry/testbed';

after(removeBuiltWorkloads);

const LIBRARY_SOURCE = 'int library_answer(void) { return 42; }\n';

/** The deleted-program workload run from a scratch copy, then deleted with the library it loaded (if any). */
async function startDeleted(bed: TestBed, withLibrary = false, withChild = false): Promise<{ pid: number; child: number; program: string; library: string }> {
  const program = bed.scratch.path('deleted-program');
  fs.copyFileSync(workload('deleted-program'), program);
  fs.chmodSync(program, 0o755);
  const library = bed.scratch.path('libanswer.so');
  if (withLibrary) {
    const source = bed.scratch.path('answer.c');
    fs.writeFileSync(source, LIBRARY_SOURCE);
    compileC(source, library, ['-shared', '-fPIC']);
  }
  const pid = bed.start([program, ...(withChild ? ['--fork'] : []), ...(withLibrary ? [library] : [])]);
  const child = withChild ? Number((await bed.output.next(/^child \d+$/)).split(' ')[1]) : 0;
  // Killed with the tree at the end: the bed knows only the processes it started itself.
  if (withChild) bed.adopt(child);
  await bed.output.next(/^ready$/);
  fs.unlinkSync(program);
  if (withLibrary) fs.unlinkSync(library);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  if (withChild) assert.equal(await askCheck(child, bed.output), 'check ok');
  return { pid, child, program, library };
}

function leftBeside(bed: TestBed, name: string): string[] {
  return fs.readdirSync(bed.scratch.path('.')).filter((f) => f.startsWith(name));
}

bedTest('a program deleted while it runs is restored running its own code, /proc/self/exe saying (deleted)', async (bed) => {
  const { pid, program } = await startDeleted(bed);
  await dump(pid, bed.scratch.path('img'), ['--ghost-limit', '16M']);
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(fs.existsSync(program), false, 'the restore leaves no file at its path');
  assert.deepEqual(leftBeside(bed, 'deleted-program'), [], 'nor beside it');
  assert.equal(fs.readlinkSync(`/proc/${pid}/exe`), `${program} (deleted)`);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a deleted program whose path holds a newer version by restore runs the old one, the newer file untouched', async (bed) => {
  const { pid, program } = await startDeleted(bed);
  await dump(pid, bed.scratch.path('img'), ['--ghost-limit', '16M']);
  fs.writeFileSync(program, '#!/bin/sh\necho the upgraded program\n', { mode: 0o755 });
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(fs.readFileSync(program, 'utf8'), '#!/bin/sh\necho the upgraded program\n');
  assert.deepEqual(leftBeside(bed, 'deleted-program'), ['deleted-program'], 'nothing is left beside it');
  assert.match(fs.readlinkSync(`/proc/${pid}/exe`), / \(deleted\)$/);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a shared library deleted while loaded is restored and still answers calls', async (bed) => {
  const { pid, library } = await startDeleted(bed, true);
  await dump(pid, bed.scratch.path('img'), ['--ghost-limit', '16M']);
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(fs.existsSync(library), false, 'the restore leaves no library at its path');
  assert.deepEqual(leftBeside(bed, 'libanswer.so'), []);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('a deleted program above the ghost limit fails the dump naming the limit to give, and the process runs on', async (bed) => {
  const { pid, program } = await startDeleted(bed);
  const size = fs.statSync(`/proc/${pid}/exe`).size;
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('img'), '--ghost-limit', '4K']), 'dump',
    `pid ${pid}: cannot carry its program ${program} (deleted) (a deleted file of ${size} bytes, more than the ghost limit of 4096: dump with --ghost-limit ${size} or more)`);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('two processes of a tree running one deleted program with one deleted library share their ghost records, and both run on', async (bed) => {
  const { pid, child, program, library } = await startDeleted(bed, true, true);
  const img = bed.scratch.path('img');
  await dump(pid, img, ['--ghost-limit', '16M']);
  const ghosts = (await loadLocalImage(img)).byKind('ghost');
  assert.deepEqual(ghosts.map((g) => g.path).sort(), [library, program].sort(), 'one record each for the program and the library');
  await restoreDetached(img);
  assert.deepEqual(leftBeside(bed, 'deleted-program'), []);
  assert.deepEqual(leftBeside(bed, 'libanswer.so'), []);
  assert.equal(fs.readlinkSync(`/proc/${child}/exe`), `${program} (deleted)`);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(child, bed.output), 'check ok');
});

bedTest('a restore of a tree running a deleted program failing at any stage leaves no process and no re-made file; then it restores', async (bed) => {
  const { pid, child, program, library } = await startDeleted(bed, true, true);
  const img = bed.scratch.path('img');
  await dump(pid, img, ['--ghost-limit', '16M']);
  await assertInjectedFailuresLeaveNothing(img, [pid, child], STAGES);
  assert.deepEqual([...leftBeside(bed, 'deleted-program'), ...leftBeside(bed, 'libanswer.so')], [], 'no re-made program or library is left');
  assert.equal(fs.existsSync(program) || fs.existsSync(library), false);
  await restoreDetached(img);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(child, bed.output), 'check ok');
});
