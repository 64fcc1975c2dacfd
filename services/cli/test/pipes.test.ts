// Pipes and FIFOs inside the tree come back connected, with their flags, their size and the bytes
// queued in them; a dump that fails or leaves the tree running takes none of those bytes away.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, Scratch, launch, treeOf, waitForLine, waitGone, waitUntil, killAll, ferry, ferryOk, startPipePair, drain, writeMore, type PipePair, script } from '@ferry/testbed';

after(removeBuiltWorkloads);

async function withPipePair(args: string[], body: (pair: PipePair, scratch: Scratch) => Promise<void>): Promise<void> {
  const scratch = new Scratch();
  let pids: number[] = [];
  try {
    const pair = await startPipePair(scratch, args);
    pids = [pair.parent, pair.child];
    await body(pair, scratch);
  } finally {
    await killAll(pids);
    scratch.remove();
  }
}

async function dumpAndRestore(pair: PipePair, scratch: Scratch): Promise<void> {
  await ferryOk(['dump', '-t', String(pair.parent), '-D', scratch.path('img')]);
  await waitGone(pair.child);
  await waitGone(pair.parent);
  await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
}

test('a parent and child connected by a pipe come back connected, with the queued bytes in order', async () => {
  await withPipePair(['5000'], async (pair, scratch) => {
    await dumpAndRestore(pair, scratch);
    assert.equal(await drain(pair), 'drained 5000 ok total 5000 size 65536 nonblock 0 cloexec 0');
    assert.equal(await writeMore(pair), 'wrote 6000');
    assert.equal(await drain(pair), 'drained 1000 ok total 6000 size 65536 nonblock 0 cloexec 0');
  });
});

test('a pipe with a larger buffer holding more than the default size, a non-blocking close-on-exec reader, comes back so', async () => {
  await withPipePair(['--size', '262144', '--nonblock', '--cloexec', '100000'], async (pair, scratch) => {
    await dumpAndRestore(pair, scratch);
    assert.equal(await drain(pair), 'drained 100000 ok total 100000 size 262144 nonblock 1 cloexec 1');
    await writeMore(pair);
    assert.equal(await drain(pair), 'drained 1000 ok total 101000 size 262144 nonblock 1 cloexec 1');
  });
});

test('a FIFO with queued bytes comes back connected through its path', async () => {
  const fifo = `/tmp/ferry-test-fifo-${process.pid}`;
  fs.rmSync(fifo, { force: true });
  try {
    await withPipePair(['--fifo', fifo, '3000'], async (pair, scratch) => {
      const before = fs.readlinkSync(`/proc/${pair.parent}/fd/3`);
      await dumpAndRestore(pair, scratch);
      assert.equal(fs.readlinkSync(`/proc/${pair.parent}/fd/3`), before);
      assert.equal(await drain(pair), 'drained 3000 ok total 3000 size 65536 nonblock 0 cloexec 0');
      await writeMore(pair);
      assert.equal(await drain(pair), 'drained 1000 ok total 4000 size 65536 nonblock 0 cloexec 0');
    });
  } finally {
    fs.rmSync(fifo, { force: true });
  }
});

test('a --leave-running dump leaves every queued byte in the pipe', async () => {
  await withPipePair(['--size', '131072', '70000'], async (pair, scratch) => {
    await ferryOk(['dump', '-t', String(pair.parent), '-D', scratch.path('img'), '--leave-running']);
    assert.equal(await drain(pair), 'drained 70000 ok total 70000 size 131072 nonblock 0 cloexec 0');
  });
});

test('a dump that fails after the pipe was copied leaves every queued byte in it, and no image', async () => {
  await withPipePair(['--socket', '20000'], async (pair, scratch) => {
    const r = await ferry(['dump', '-t', String(pair.parent), '-D', scratch.path('img')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), /^ferry dump: unsupported file descriptor \d+: socket:\[\d+\] \(a socket\)$/);
    assert.equal(fs.existsSync(scratch.path('img', 'records.log')), false);
    assert.equal(await drain(pair), 'drained 20000 ok total 20000 size 65536 nonblock 0 cloexec 0');
  });
});

test("a shell pipeline, sh -c 'producer | consumer', carries on where it was", async () => {
  const scratch = new Scratch();
  const out = scratch.path('out');
  const bin = workload('pipeline');
  const sh = launch(['/bin/sh', '-c', `${bin} produce | ${bin} consume`], { newSession: true, output: out });
  let pids = [sh];
  const got = () => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('got ')).map((l) => Number(l.slice(4)));
  try {
    await waitForLine(out, /^got 30$/);
    pids = treeOf(sh);
    assert.equal(pids.length, 3, 'sh and both sides of the pipe');
    await ferryOk(['dump', '-t', String(sh), '-D', scratch.path('img')]);
    for (const pid of pids) await waitGone(pid);
    const atDump = got().at(-1)!;
    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    await waitUntil('the consumer to carry on', () => got().at(-1)! > atDump + 100);
    assert.deepEqual(treeOf(sh).sort(), [...pids].sort());
    const seen = got();
    assert.deepEqual(seen, seen.map((_, i) => i + 1), 'every line once, in order');
    assert.doesNotMatch(fs.readFileSync(out, 'utf8'), /gap/);
  } finally {
    await killAll(pids);
    scratch.remove();
  }
});

test('a pipe in constant use is dumped every time, the tree left running loses no byte of it', async () => {
  // The root's descriptors are looked at once before the freeze: copying the queued bytes then,
  // while both ends were busy, failed the dump now and then (tee copying fewer than were queued).
  const scratch = new Scratch();
  const out = scratch.path('out');
  const root = launch(['python3', script('busy-pipe.py')], { newSession: true, output: out });
  const pids = [root];
  try {
    await waitForLine(out, /^ready$/);
    pids.push(...treeOf(root));
    for (let i = 0; i < 10; i++) {
      const r = await ferry(['dump', '-t', String(root), '-D', scratch.path(`img-${i}`), '--leave-running']);
      assert.equal(r.status, 0, `dump ${i}: ${r.stderr}`);
      fs.rmSync(scratch.path(`img-${i}`), { recursive: true });
    }
    assert.deepEqual(treeOf(root).sort(), [...new Set(pids)].sort(), 'the tree runs on');
    assert.equal(fs.readFileSync(out, 'utf8'), 'ready\n', 'the reader never saw the pattern broken');
  } finally {
    await killAll(pids);
    scratch.remove();
  }
});
