// The distributed mode's first slice: checkpoints sent to the image server over a real NATS (with
// credentials), listed, restored by id on this host, pruned per workload; and what must happen
// when the image server, the dumper or NATS dies in the middle.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { workload, removeBuiltWorkloads, bedTest, type TestBed, dumpToImageServer, restoreCheckpointDetached, ferry, ferryOk, assertFailedWith, alive, waitUntil, askCheck, counterScript, counted, waitForCount, assertCountedWithoutRestart, NatsServer, ImageServerProcess, storedIds, waitForPagesStreaming } from '@ferry/testbed';

after(removeBuiltWorkloads);

let nats: NatsServer;
before(async () => (nats = await NatsServer.start()));
after(async () => nats.close());

interface Listed { checkpointId: string; workload: string; committed: boolean; size: number; pageBytes: number }

async function listed(): Promise<Listed[]> {
  return JSON.parse((await ferryOk(['checkpoints', '--json'], { env: nats.env() })).stdout);
}

// Every image server on one NATS answers the same subjects: each test stops its own before the next starts.
const running: ImageServerProcess[] = [];

/** A bedTest whose image servers are killed when it ends. */
function serverTest(name: string, body: (bed: TestBed) => Promise<void>): void {
  bedTest(name, async (bed) => {
    try {
      await body(bed);
    } catch (e) {
      // What the server said tells why it stopped answering, if it did.
      const said = running.map((s) => s.output.trim()).filter(Boolean).join('\n');
      throw said ? new Error(`${(e as Error).message}\nimage server said:\n${said}`, { cause: e }) : e;
    } finally {
      for (const s of running.splice(0)) await s.stop('SIGKILL');
    }
  });
}

/** An image server on a store of BED's (the same store on a restart). */
async function imageServer(bed: TestBed, extra: string[] = []): Promise<{ server: ImageServerProcess; store: string }> {
  const store = bed.scratch.path('store');
  const server = await ImageServerProcess.start(store, nats.env(), ['--idle-timeout', '2', ...extra]);
  running.push(server);
  return { server, store };
}

/** Dumps PID to this file's image server (waiting for it to be gone, unless EXTRA leaves it running); its checkpoint id. */
const dumpToServer = (pid: number, extra: string[] = []) => dumpToImageServer(pid, nats.env(), extra);

/** The memory workload: 90 MiB of pages, long enough a stream to interrupt. */
async function startLargeWorkload(bed: TestBed): Promise<number> {
  const pid = bed.start([workload('memory')]);
  await bed.output.next(/^ready/);
  return pid;
}

serverTest('a python counter dumped to the image server is listed, restored by id, and carries on', async (bed) => {
  await imageServer(bed);
  const file = bed.scratch.path('counted');
  const pid = bed.start(['python3', counterScript, file]);
  await waitForCount(file, 5);

  const id = await dumpToServer(pid, ['--name', 'counter']);
  const [entry] = (await listed()).filter((c) => c.checkpointId === id);
  assert.equal(entry?.workload, 'counter');
  assert.equal(entry?.committed, true);
  assert.ok(entry!.size > 0);
  assert.match((await ferryOk(['checkpoints'], { env: nats.env() })).stdout, new RegExp(`^${id}\\s+counter\\s+.*\\s+yes$`, 'm'));

  const before = counted(file).length;
  await restoreCheckpointDetached(id, nats.env());
  await waitForCount(file, before + 5);
  assertCountedWithoutRestart(file);

  await ferryOk(['checkpoint', 'delete', id], { env: nats.env() });
  assert.deepEqual((await listed()).filter((c) => c.checkpointId === id), []);
});

serverTest('a checkpoint restored by id frees its fetched copy\'s pages as they go in, and every byte checks out', async (bed) => {
  const { store } = await imageServer(bed);
  const pid = await startLargeWorkload(bed);
  const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
  const id = await dumpToServer(pid, []);
  const [entry] = (await listed()).filter((c) => c.checkpointId === id);
  // The server made room for the whole resident size as the dump opened, and gave back what no page took.
  assert.ok(rss > entry!.pageBytes, `resident ${rss}, dumped ${entry!.pageBytes}`);
  const pagesFile = fs.statSync(path.join(store, id, 'pages.img'));
  assert.equal(pagesFile.size, entry!.pageBytes);
  assert.ok(pagesFile.blocks * 512 <= entry!.pageBytes + 4096, `${pagesFile.blocks * 512} bytes held for ${entry!.pageBytes} bytes of pages`);
  const r = await restoreCheckpointDetached(id, nats.env(), ['-v']);
  const freed = /freed (\d+) of \S+'s (\d+) bytes as the pages went in/.exec(r.stderr);
  assert.ok(freed, r.stderr);
  assert.equal(Number(freed[1]), entry!.pageBytes, 'every page freed from the fetched copy');
  assert.equal(Number(freed[2]), entry!.pageBytes);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

serverTest('the image server keeps the last N checkpoints of a workload', async (bed) => {
  const { store } = await imageServer(bed, ['--keep-last', '2']);
  const pid = bed.start(['python3', counterScript, bed.scratch.path('counted')]);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await dumpToServer(pid, ['--leave-running']));
  const mine = (await listed()).filter((c) => ids.includes(c.checkpointId)).map((c) => c.checkpointId);
  assert.deepEqual(mine.sort(), ids.slice(1).sort());
  assert.deepEqual(storedIds(store).sort(), ids.slice(1).sort());
});

serverTest('an image server killed mid-stream fails the dump, the workload runs on, and nothing uncommitted is offered after its restart', async (bed) => {
  const { server, store } = await imageServer(bed);
  const pid = await startLargeWorkload(bed);
  const dumping = ferry(['dump', '-t', String(pid), '--image-server'], { env: nats.env() });
  const id = await waitForPagesStreaming(store, 4 << 20);
  await server.stop('SIGKILL');

  // Whichever notices first: the page stream breaking, or nobody answering on NATS.
  assertFailedWith(await dumping, 'dump', /(?:the image server is gone \(.*\)|no image server is running \(nobody answers on NATS\))/);
  assert.ok(alive(pid), 'the workload still runs');
  assert.equal(await askCheck(pid, bed.output), 'check ok');

  await imageServer(bed);
  assert.deepEqual(storedIds(store), [], 'the half-received checkpoint is gone');
  assert.deepEqual((await listed()).filter((c) => c.checkpointId === id), []);
  assertFailedWith(await ferry(['restore', '--checkpoint', id, '-d'], { env: nats.env() }), 'restore', `no committed checkpoint ${id}`);
});

serverTest('a dumper killed mid-stream leaves a checkpoint never offered for restore, and removed', async (bed) => {
  const { store } = await imageServer(bed);
  const pid = await startLargeWorkload(bed);
  let dumper = 0;
  const dumping = ferry(['dump', '-t', String(pid), '--image-server'], { env: nats.env(), onSpawn: (p) => (dumper = p) });
  const id = await waitForPagesStreaming(store, 4 << 20);
  process.kill(dumper, 'SIGKILL');
  await dumping;

  const during = (await listed()).find((c) => c.checkpointId === id);
  assert.equal(during?.committed ?? false, false, 'never listed as committed');
  assertFailedWith(await ferry(['restore', '--checkpoint', id, '-d'], { env: nats.env() }), 'restore', /(?:checkpoint .* is not committed \(its dump has not finished\): it cannot be restored|no committed checkpoint .*)/);
  await waitUntil('the dropped checkpoint to be removed', () => storedIds(store).length === 0, 10_000);
  assert.deepEqual((await listed()).filter((c) => c.checkpointId === id), []);
});

serverTest('a wrong password, and NATS gone, are clear errors', async (bed) => {
  await imageServer(bed);
  assertFailedWith(await ferry(['checkpoints'], { env: nats.env('wrong') }), 'checkpoints', /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: authorization failed .*/);
  const pid = bed.start(['python3', counterScript, bed.scratch.path('counted')]);
  assertFailedWith(await ferry(['dump', '-t', String(pid), '--image-server'], { env: nats.env('wrong') }), 'dump', /authorization failed .*/);
  assertFailedWith(await ferry(['dump', '-t', String(pid)], { env: nats.env() }), 'dump', 'where to? give -D DIR (a local image directory) or --image-server');
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('img'), '--image-server'], { env: nats.env() }), 'dump', '-D and --image-server exclude each other: give one');

  await nats.stop();
  assertFailedWith(await ferry(['dump', '-t', String(pid), '--image-server'], { env: nats.env() }), 'dump', /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+: connection refused/);
  assertFailedWith(await ferry(['checkpoints'], { env: nats.env() }), 'checkpoints', /connection refused/);
  assert.ok(alive(pid), 'the workload still runs');
});
