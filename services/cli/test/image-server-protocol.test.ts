// The image server's protocol below the CLI: a record larger than a NATS message crosses in
// pieces and comes back byte for byte; the server refuses a lost chunk or a forged record and
// drops the stream. In-process server, real nats-server with credentials.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { loadLocalImage, frame, type LocalInventory } from '@ferry/proto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  agentSubjects, connectNats, fetchCheckpoint, listenForPages, natsConfig, openNatsSink, PageFile, request, requestJson, respondJson, showCheckpoint, subjects,
  OFFSET_HEADER, PART_HEADER, type AgentPagesRequest, type NatsConnection,
} from '@ferry/transport';
import { CheckpointStore, startImageServer, type ImageServer } from '@ferry/image-server';
import { NatsServer, Scratch, waitUntil } from '@ferry/testbed';

let nats: NatsServer;
let nc: NatsConnection;
let server: ImageServer;
const scratch = new Scratch();
const serverLog: string[] = [];

before(async () => {
  nats = await NatsServer.start();
  const env = nats.env();
  nc = await connectNats(natsConfig({ url: env.FERRY_NATS_URL, user: env.FERRY_NATS_USER, password: env.FERRY_NATS_PASSWORD }, {}));
  const store = new CheckpointStore(scratch.path('store'));
  await store.open();
  // Pages over NATS here: the CLI tests run the page stream.
  server = await startImageServer({ nc, store, idleMs: 5000, keepLast: 0, log: (l) => serverLog.push(l) });
});
after(async () => {
  await server.close();
  await nc.close();
  await nats.close();
  scratch.remove();
});

const inventory: LocalInventory = { formatVersion: 1, host: 'test-host', kernel: '6.18', rootPid: 4242, createdMs: BigInt(Date.now()), ferryVersion: '0.1.0', pageSize: 4096, arch: 'x86_64' };

test('a 3 MiB record and pages go through in pieces and come back as a local image', async () => {
  const queued = randomBytes(3 << 20);
  const pages = randomBytes(3 * 4096);
  const sink = await openNatsSink(nc, inventory, { workload: 'protocol' });
  await sink.put('pipe', 'file:4242:3', { id: 'file:4242:3', pipeId: 77n, flags: 0, fifoPath: '', bufferSize: 4 << 20, queued });
  await sink.putPages(4242, 0x7f0000000000n, pages);
  await sink.commit();

  const dir = scratch.path('fetched');
  await fetchCheckpoint(nc, sink.checkpointId, dir);
  const image = await loadLocalImage(dir);
  assert.deepEqual(image.byKind('pipe')[0]!.queued, queued);
  assert.deepEqual(await image.readPages(image.byKind('pages')[0]!), pages);
});

test('a lost chunk and a forged record are refused, and the stream is dropped', async () => {
  for (const [part, offset, data, problem] of [
    ['pages', '4096', Buffer.alloc(4096), /pages chunk at byte 4096, expected byte 0: a chunk was lost/],
    ['records', '0', frame(Buffer.from('not a record')), /record 0 at .*cannot decode the envelope|record 0.*/],
  ] as const) {
    const sink = await openNatsSink(nc, inventory);
    await assert.rejects(request(nc, subjects.put(sink.checkpointId), data, { [PART_HEADER]: part, [OFFSET_HEADER]: offset }), problem);
    await assert.rejects(requestJson(nc, subjects.show, { checkpointId: sink.checkpointId }), /no committed checkpoint/);
    await assert.rejects(sink.commit());
    await waitUntil('nothing of it left in the store', () => !fs.existsSync(scratch.path('store', sink.checkpointId)));
  }
});

test('room for the pages a dump expects is made as it opens; what no page took is given back at the commit', async () => {
  const pages = randomBytes(5 * 4096);
  const sink = await openNatsSink(nc, inventory, { workload: 'room', expectedPageBytes: 16 << 20 });
  const file = scratch.path(`store/${sink.checkpointId}/pages.img`);
  assert.ok(fs.statSync(file).blocks * 512 >= 16 << 20, 'room made before any page came');
  assert.equal(fs.statSync(file).size, 0);
  await sink.putPages(4242, 0x7f0000000000n, pages);
  await sink.commit();
  const stored = fs.statSync(file);
  assert.equal(stored.size, pages.length);
  assert.ok(stored.blocks * 512 <= pages.length + 4096, `${stored.blocks * 512} bytes held for ${pages.length} bytes of pages`);
  const dir = scratch.path('fetched-room');
  await fetchCheckpoint(nc, sink.checkpointId, dir);
  const image = await loadLocalImage(dir);
  assert.deepEqual(await image.readPages(image.byKind('pages')[0]!), pages);
});

test('pages sent to a target host for longer than the server\'s idle timeout: the records keep the stream alive', async () => {
  // This file's server drops a stream after 5 s without traffic; the pages go elsewhere, to a
  // stand-in for a target host's agent, and only a few small records come to the server.
  const dir = scratch.path('target-pages');
  fs.mkdirSync(dir);
  let file: PageFile | undefined;
  const listener = await listenForPages('127.0.0.1', 0, () => file);
  const agent = nc.subscribe(agentSubjects.pages('t'), {
    callback: (_e, msg) => void (async () => {
      const { checkpointId } = msg.json<AgentPagesRequest>();
      file = await PageFile.create(path.join(dir, checkpointId), { sync: false });
      respondJson(msg, { host: listener.host, port: listener.port, token: 'any' });
    })(),
  });
  try {
    const sink = await openNatsSink(nc, inventory, { pagesTo: 't' });
    const page = randomBytes(4096);
    for (let i = 0; i < 7; i++) {
      await sink.putPages(4242, 0x7f0000000000n + BigInt(i * 4096), page);
      await sleep(1000);
    }
    await sink.commit();
    const stored = await showCheckpoint(nc, sink.checkpointId);
    assert.equal(stored.committed, true);
    assert.equal(stored.pagesHeldBy, 't');
    assert.equal(stored.pageBytes, 7 * 4096);
    assert.equal(fs.statSync(file!.path).size, 7 * 4096);
    await assert.rejects(request(nc, subjects.read, JSON.stringify({ checkpointId: sink.checkpointId, part: 'pages', offset: 0, length: 4096 })), /has no pages here: they went straight to host t in its migration/);
  } finally {
    agent.unsubscribe();
    listener.close();
    await file?.close();
  }
});
