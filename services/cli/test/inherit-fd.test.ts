// --inherit-fd: a process dumped without the other end of its pipe, or restored onto another file,
// takes descriptors its caller hands over; and every way of getting it wrong is one clear error.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { makePipe, setStatusFlags, O_CLOEXEC, O_NONBLOCK } from '@ferry/sys';
import { workload, removeBuiltWorkloads, bedTest, type TestBed, dump, restoreDetached, alive, waitForLine, waitGone, waitUntil, ferry, pipeText } from '@ferry/testbed';

after(removeBuiltWorkloads);

interface Writer { parent: number; child: number; out: string; side: string }

/** The inherit workload in BED (in no session of its own): a child ticking into its parent's pipe (or into FILE), already ticking. */
async function startWriter(bed: TestBed, file?: string): Promise<Writer> {
  const out = bed.output.file;
  const side = bed.scratch.path('side');
  const parent = bed.start([workload('inherit'), '--side', side, ...(file ? ['--file', file] : [])], { newSession: false });
  const child = bed.adopt(Number((await waitForLine(out, /^ready child \d+$/)).split(' ')[2]));
  await waitForLine(file ?? out, file ? /^tick 5$/ : /^parent 5$/);
  return { parent, child, out, side };
}

/** A test whose BODY gets the writer started, ticking into its parent's pipe or (FILE given) into the bed's file FILE. */
function writerTest(name: string, file: string | null, body: (w: Writer, bed: TestBed) => Promise<void>): void {
  bedTest(name, async (bed) => body(await startWriter(bed, file === null ? undefined : bed.scratch.path(file)), bed));
}

/** The numbers of the lines of TEXT that are PREFIX followed by a number. */
function numbers(text: string, prefix: string): number[] {
  return text.split('\n').filter((l) => l.startsWith(prefix) && /^\d+$/.test(l.slice(prefix.length))).map((l) => Number(l.slice(prefix.length)));
}

function assertCarriesOn(before: number[], afterwards: number[]): void {
  assert.ok(before.length >= 5 && afterwards.length >= 10, `ticks before ${before.length}, after ${afterwards.length}`);
  const all = [...before, ...afterwards];
  assert.deepEqual(all, all.map((_, i) => i + 1), 'every tick once, in order, across the dump');
}

/** A pipe whose read end is ours (non-blocking, so we can poll it) and whose write end we hand over. */
function freshPipe(): { reader: number; writer: number; readAll: () => string } {
  const [reader, writer] = makePipe(O_CLOEXEC);
  setStatusFlags(reader, O_NONBLOCK);
  return { reader, writer, readAll: pipeText(reader) };
}

const keys = [
  { what: 'pipe:[INODE]', dumpKey: (w: Writer) => fs.readlinkSync(`/proc/${w.child}/fd/1`), restoreKey: (w: Writer) => fs.readlinkSync(`/proc/${w.child}/fd/1`) },
  { what: 'PID:FD', dumpKey: (w: Writer) => `${w.child}:1`, restoreKey: (w: Writer) => `${w.child}:1` },
];

for (const key of keys) {
  writerTest(`a child dumped without its parent (--inherit-fd ${key.what}) goes on writing into the pipe handed to restore as fd 7`, null, async (w, bed) => {
    const sideBefore = fs.readlinkSync(`/proc/${w.child}/fd/7`);
    const restoreKey = key.restoreKey(w);
    await dump(w.child, bed.scratch.path('img'), ['--inherit-fd', key.dumpKey(w)]);
    await waitForLine(w.out, /^parent saw eof$/);
    const pipe = freshPipe();
    try {
      await restoreDetached(bed.scratch.path('img'), ['--inherit-fd', `fd[7]:${restoreKey}`], { fds: { 7: pipe.writer } });
      fs.closeSync(pipe.writer);
      await waitUntil('ticks on the new pipe', () => numbers(pipe.readAll(), 'tick ').length >= 10);
      assertCarriesOn(numbers(fs.readFileSync(w.out, 'utf8'), 'parent '), numbers(pipe.readAll(), 'tick '));
      assert.equal(fs.readlinkSync(`/proc/${w.child}/fd/1`), `pipe:[${fs.fstatSync(pipe.reader).ino}]`);
      assert.equal(fs.readlinkSync(`/proc/${w.child}/fd/7`), sideBefore, 'the fd 7 of the tree is its own, not the one handed over');
      // Nobody but the child holds the write end now: when it ends, the pipe ends.
      process.kill(w.child, 'SIGKILL');
      await waitGone(w.child);
      pipe.readAll();
      assert.equal(fs.readSync(pipe.reader, Buffer.alloc(1), 0, 1, null), 0);
    } finally {
      fs.closeSync(pipe.reader);
    }
  });
}

for (const leftOut of [false, true]) {
  writerTest(`a child whose stdout was a file${leftOut ? ' left out at dump' : ''} is restored writing into another file (--inherit-fd fd[7]:/old/path)`, 'old.log', async (w, bed) => {
    const old = bed.scratch.path('old.log');
    await dump(w.child, bed.scratch.path('img'), leftOut ? ['--inherit-fd', old] : []);
    const oldText = fs.readFileSync(old, 'utf8');
    const fresh = fs.openSync(bed.scratch.path('new.log'), 'a');
    try {
      await restoreDetached(bed.scratch.path('img'), ['--inherit-fd', `fd[7]:${old}`], { fds: { 7: fresh } });
    } finally {
      fs.closeSync(fresh);
    }
    await waitUntil('ticks in the new file', () => numbers(fs.readFileSync(bed.scratch.path('new.log'), 'utf8'), 'tick ').length >= 10);
    assert.equal(fs.readFileSync(old, 'utf8'), oldText, 'the old file is left alone');
    assertCarriesOn(numbers(oldText, 'tick '), numbers(fs.readFileSync(bed.scratch.path('new.log'), 'utf8'), 'tick '));
    assert.equal(fs.readlinkSync(`/proc/${w.child}/fd/1`), bed.scratch.path('new.log'));
  });
}

writerTest('a dump key naming nothing the tree holds is refused, and the tree runs on', null, async (w, bed) => {
  const nothing = await ferry(['dump', '-t', String(w.child), '-D', bed.scratch.path('img'), '--inherit-fd', 'pipe:[1]']);
  assert.equal(nothing.stderr.trim(), `ferry dump: --inherit-fd pipe:[1]: no descriptor of the tree of pid ${w.child} refers to pipe:[1]`);
  const ticks = numbers(fs.readFileSync(w.out, 'utf8'), 'parent ').length;
  await waitUntil('the child to tick on', () => numbers(fs.readFileSync(w.out, 'utf8'), 'parent ').length > ticks + 5);
  const all = numbers(fs.readFileSync(w.out, 'utf8'), 'parent ');
  assert.deepEqual(all, all.map((_, i) => i + 1), 'every tick once, in order');
  assert.ok(alive(w.child));
});

writerTest('restore refuses, naming it, an object left out at dump that nobody hands over, and keys that name nothing', null, async (w, bed) => {
  const name = fs.readlinkSync(`/proc/${w.child}/fd/1`);
  const img = bed.scratch.path('img');
  await dump(w.child, img, ['--inherit-fd', name]);
  const pipe = freshPipe();
  try {
    const refused = async (args: string[], message: string) => {
      const r = await ferry(['restore', '-D', img, '-d', ...args], { fds: { 7: pipe.writer } });
      assert.equal(r.stderr.trim(), `ferry restore: ${message}`);
      assert.notEqual(r.status, 0);
      assert.equal(fs.existsSync(`/proc/${w.child}`), false, 'nothing restored');
    };
    await refused([], `${name} (fd 1 of pid ${w.child}) was left out of the checkpoint: restore with --inherit-fd fd[N]:${name}`);
    await refused(['--inherit-fd', `fd[7]:${name}`, '--inherit-fd', 'fd[7]:pipe:[1]'], '--inherit-fd fd[7]:pipe:[1]: nothing in the checkpoint was pipe:[1]');
    await refused(['--inherit-fd', `fd[7]:${w.child}:9`], `--inherit-fd fd[7]:${w.child}:9: pid ${w.child} had no fd 9 that can be handed over in the checkpoint`);
    await refused(['--inherit-fd', `fd[99]:${name}`], `--inherit-fd fd[99]:${name}: fd 99 is not open`);
    await refused(['--inherit-fd', `7:${name}`], `--inherit-fd 7:${name}: expected fd[N]:ID, ID being pipe:[INODE], an absolute path or PID:FD`);

    await restoreDetached(img, ['--inherit-fd', `fd[7]:${name}`], { fds: { 7: pipe.writer } });
    await waitUntil('ticks on the new pipe', () => numbers(pipe.readAll(), 'tick ').length >= 3);
  } finally {
    fs.closeSync(pipe.writer);
    fs.closeSync(pipe.reader);
  }
});
