// Pipes and FIFOs inside the tree come back connected, with their flags, their size and the bytes
// queued in them; a dump that fails or leaves the tree running takes none of those bytes away.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, type TestBed, dump, dumpAndRestore, restoreDetached, treeOf, waitForLine, waitUntil, ferry, startPipePair, drain, writeMore, type PipePair, script } from '@ferry/testbed';

after(removeBuiltWorkloads);

/** A test whose BODY gets `pipes ARGS` started, its pipe filled. */
function pipeTest(name: string, args: string[], body: (pair: PipePair, bed: TestBed) => Promise<void>): void {
  bedTest(name, async (bed) => body(await startPipePair(bed, args), bed));
}

pipeTest('a parent and child connected by a pipe come back connected, with the queued bytes in order', ['5000'], async (pair, bed) => {
  await dumpAndRestore(pair.parent, bed.scratch.path('img'));
  assert.equal(await drain(pair), 'drained 5000 ok total 5000 size 65536 nonblock 0 cloexec 0');
  assert.equal(await writeMore(pair), 'wrote 6000');
  assert.equal(await drain(pair), 'drained 1000 ok total 6000 size 65536 nonblock 0 cloexec 0');
});

pipeTest('a pipe with a larger buffer holding more than the default size, a non-blocking close-on-exec reader, comes back so', ['--size', '262144', '--nonblock', '--cloexec', '100000'], async (pair, bed) => {
  await dumpAndRestore(pair.parent, bed.scratch.path('img'));
  assert.equal(await drain(pair), 'drained 100000 ok total 100000 size 262144 nonblock 1 cloexec 1');
  await writeMore(pair);
  assert.equal(await drain(pair), 'drained 1000 ok total 101000 size 262144 nonblock 1 cloexec 1');
});

const fifo = `/tmp/ferry-test-fifo-${process.pid}`;
fs.rmSync(fifo, { force: true });
pipeTest('a FIFO with queued bytes comes back connected through its path', ['--fifo', fifo, '3000'], async (pair, bed) => {
  try {
    const before = fs.readlinkSync(`/proc/${pair.parent}/fd/3`);
    await dumpAndRestore(pair.parent, bed.scratch.path('img'));
    assert.equal(fs.readlinkSync(`/proc/${pair.parent}/fd/3`), before);
    assert.equal(await drain(pair), 'drained 3000 ok total 3000 size 65536 nonblock 0 cloexec 0');
    await writeMore(pair);
    assert.equal(await drain(pair), 'drained 1000 ok total 4000 size 65536 nonblock 0 cloexec 0');
  } finally {
    fs.rmSync(fifo, { force: true });
  }
});

pipeTest('a --leave-running dump leaves every queued byte in the pipe', ['--size', '131072', '70000'], async (pair, bed) => {
  await dump(pair.parent, bed.scratch.path('img'), ['--leave-running']);
  assert.equal(await drain(pair), 'drained 70000 ok total 70000 size 131072 nonblock 0 cloexec 0');
});

pipeTest('a dump that fails after the pipe was copied leaves every queued byte in it, and no image', ['--socket', '20000'], async (pair, bed) => {
  const r = await ferry(['dump', '-t', String(pair.parent), '-D', bed.scratch.path('img')]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.trim(), /^ferry dump: unsupported file descriptor \d+: socket:\[\d+\] of pid \d+ \(a unix stream socket\), which has descriptors \(SCM_RIGHTS\) queued in it: ferry does not carry those yet$/);
  assert.equal(fs.existsSync(bed.scratch.path('img', 'records.log')), false);
  assert.equal(await drain(pair), 'drained 20000 ok total 20000 size 65536 nonblock 0 cloexec 0');
});

bedTest("a shell pipeline, sh -c 'producer | consumer', carries on where it was", async (bed) => {
  const out = bed.output.file;
  const bin = workload('pipeline');
  const sh = bed.start(['/bin/sh', '-c', `${bin} produce | ${bin} consume`]);
  const got = () => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('got ')).map((l) => Number(l.slice(4)));
  await waitForLine(out, /^got 30$/);
  const pids = bed.adoptTree(sh);
  assert.equal(pids.length, 3, 'sh and both sides of the pipe');
  await dump(sh, bed.scratch.path('img'));
  const atDump = got().at(-1)!;
  await restoreDetached(bed.scratch.path('img'));
  await waitUntil('the consumer to carry on', () => got().at(-1)! > atDump + 100);
  assert.deepEqual(treeOf(sh).sort(), [...pids].sort());
  const seen = got();
  assert.deepEqual(seen, seen.map((_, i) => i + 1), 'every line once, in order');
  assert.doesNotMatch(fs.readFileSync(out, 'utf8'), /gap/);
});

bedTest('a pipe in constant use is dumped every time, the tree left running loses no byte of it', async (bed) => {
  // The root's descriptors are looked at once before the freeze: copying the queued bytes then,
  // while both ends were busy, failed the dump now and then (tee copying fewer than were queued).
  const out = bed.output.file;
  const root = bed.start(['python3', script('busy-pipe.py')]);
  await waitForLine(out, /^ready$/);
  const pids = bed.adoptTree(root);
  for (let i = 0; i < 10; i++) {
    const r = await ferry(['dump', '-t', String(root), '-D', bed.scratch.path(`img-${i}`), '--leave-running']);
    assert.equal(r.status, 0, `dump ${i}: ${r.stderr}`);
    fs.rmSync(bed.scratch.path(`img-${i}`), { recursive: true });
  }
  assert.deepEqual(treeOf(root).sort(), [...new Set(pids)].sort(), 'the tree runs on');
  assert.equal(fs.readFileSync(out, 'utf8'), 'ready\n', 'the reader never saw the pattern broken');
});
