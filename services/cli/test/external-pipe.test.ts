// A pipe whose other end a process outside the tree holds, the CRIU way: the dump needs no option
// and leaves the pipe out (with its queued bytes); the restore is handed a pipe for it with
// --inherit-fd fd[N]:pipe:[INODE], and without one it fails before making anything.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { makePipe, setStatusFlags, O_CLOEXEC, O_NONBLOCK } from '@ferry/sys';
import { workload, removeBuiltWorkloads, bedTest, script, dump, restoreDetached, ferry, waitForLine, waitUntil, waitGone, assertNothingLeft, assertFailedWith, pipeText } from '@ferry/testbed';

after(removeBuiltWorkloads);

/** Numbers of the "line N" lines of TEXT, in order. */
const lineNumbers = (text: string) => text.split('\n').filter((l) => /^line \d+$/.test(l)).map((l) => Number(l.slice(5)));

bedTest('a shell script piping into a reader outside the tree is dumped without options and restored with --inherit-fd fd[20]:pipe:[…] at restore only', async (bed) => {
  const out = bed.output.file;
  const shell = bed.start(['sh', '-c', `sh ${script('ticker.sh')} | cat`]);
  const ticker = bed.adopt(Number((await waitForLine(out, /^ticker \d+$/)).split(' ')[1]));
  const name = fs.readlinkSync(`/proc/${ticker}/fd/1`);
  assert.match(name, /^pipe:\[\d+\]$/);
  await waitUntil('the script to log', () => lineNumbers(fs.readFileSync(out, 'utf8')).length >= 5);

  const img = bed.scratch.path('img');
  await dump(ticker, img);
  await waitGone(shell); // cat read the rest of the old pipe and ended with it
  const before = lineNumbers(fs.readFileSync(out, 'utf8'));

  const refused = await ferry(['restore', '-D', img, '-d']);
  assert.notEqual(refused.status, 0);
  const escaped = name.replace(/[[\]]/g, '\\$&');
  assert.match(refused.stderr, new RegExp(`^ferry restore: ${escaped} \\(fd 1 of pid ${ticker}[^)]*\\) was left out of the checkpoint: restore with --inherit-fd fd\\[N\\]:${escaped}\n$`));
  assertNothingLeft('restore without --inherit-fd', [ticker], refused.pid);

  const [reader, writer] = makePipe(O_CLOEXEC);
  setStatusFlags(reader, O_NONBLOCK);
  const received = pipeText(reader);
  try {
    await restoreDetached(img, ['--inherit-fd', `fd[20]:${name}`], { fds: { 20: writer } });
    fs.closeSync(writer);
    await waitUntil('lines on the new pipe', () => lineNumbers(received()).length >= 5);
    const all = [...before, ...lineNumbers(received())];
    assert.deepEqual(all, all.map((_, i) => i + 1), 'every line once, in order: the old reader got them up to the dump, the new one since');
    assert.equal(fs.readlinkSync(`/proc/${ticker}/fd/1`), `pipe:[${fs.fstatSync(reader).ino}]`);
  } finally {
    fs.closeSync(reader);
  }
});

bedTest('bytes an outside writer queued in the pipe a program reads are read by the restored program first, from the pipe handed over', async (bed) => {
  const [oldReader, oldWriter] = makePipe(O_CLOEXEC);
  const echo = bed.start([workload('stdin-echo')], { stdin: `/proc/${process.pid}/fd/${oldReader}` });
  fs.closeSync(oldReader);
  await bed.output.next(/^ready$/);
  fs.writeSync(oldWriter, 'first\nsecond\n');
  const img = bed.scratch.path('img');
  try {
    await dump(echo, img);
  } finally {
    fs.closeSync(oldWriter);
  }

  const file = fs.openSync(bed.scratch.path('not-a-pipe'), 'w+');
  try {
    const r = await ferry(['restore', '-D', img, '-d', '--inherit-fd', `fd[20]:${echo}:0`], { fds: { 20: file } });
    assert.match(r.stderr, /^ferry restore: .*pipe:\[\d+\] had 13 bytes queued for the tree to read, and fd 20, handed over for it, is not a pipe\n$/);
    assertNothingLeft('restore onto a file', [echo], r.pid);
  } finally {
    fs.closeSync(file);
  }

  const [reader, writer] = makePipe(O_CLOEXEC);
  try {
    await restoreDetached(img, ['--inherit-fd', `fd[20]:${echo}:0`], { fds: { 20: reader } });
  } finally {
    fs.closeSync(reader);
  }
  process.kill(echo, 'SIGUSR1');
  fs.writeSync(writer, 'third\n');
  fs.closeSync(writer);
  assert.equal(await bed.output.next(/^got /), 'got first');
  assert.equal(await bed.output.next(/^got /), 'got second');
  assert.equal(await bed.output.next(/^got /), 'got third');
  await bed.output.next(/^stdin ended$/);
});

bedTest('a pipe whose both ends are in the tree, also held outside it, fails the dump naming it, and the tree runs on', async (bed) => {
  const out = bed.output.file;
  const parent = bed.start([workload('inherit'), '--side', bed.scratch.path('side')], { newSession: false });
  const child = bed.adopt(Number((await waitForLine(out, /^ready child \d+$/)).split(' ')[2]));
  await waitForLine(out, /^parent 3$/); // the child writes into the pipe by now
  const name = fs.readlinkSync(`/proc/${child}/fd/1`);
  const ours = fs.openSync(`/proc/${child}/fd/1`, fs.constants.O_WRONLY | O_CLOEXEC);
  try {
    const r = await ferry(['dump', '-t', String(parent), '-D', bed.scratch.path('img')]);
    assertFailedWith(r, 'dump', new RegExp(`unsupported file descriptor \\d+: ${name.replace(/[[\]]/g, '\\$&')} of pid \\d+, both of whose ends the tree holds while pid ${process.pid} outside it holds it too \\(it can be neither left out nor restored whole\\)`));
  } finally {
    fs.closeSync(ours);
  }
  const ticks = () => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('parent ')).length;
  const before = ticks();
  await waitUntil('the tree to tick on', () => ticks() > before + 5);
});
