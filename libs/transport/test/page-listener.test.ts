// The page stream on its own: bytes arrive at their offsets, acks come only once the target says
// they are durable, and a connection with the wrong token gets nothing and is cut. A fetch's
// token gets a file sent, once; a stream shorter than promised, or none at all, says so.
import { test } from 'node:test';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PageStreamWriter, PAGE_FRAME_MAX, receivePages } from '../src/page-stream.js';
import { listenForPages, type PageTarget } from '../src/page-listener.js';

function recordingTarget() {
  const stored = new Map<number, Buffer>();
  const broken: string[] = [];
  let release!: () => void;
  const durable = new Promise<void>((resolve) => (release = resolve));
  const target: PageTarget = {
    write: (offset, data) => {
      stored.set(offset, Buffer.from(data));
      return { written: Promise.resolve(), durable };
    },
    broken: (why) => broken.push(why),
  };
  return { target, stored, broken, release };
}

test('pages arrive at their offsets, and are acked only once durable', async () => {
  const { target, stored, broken, release } = recordingTarget();
  const listener = await listenForPages('127.0.0.1', 0, (hello) => (hello.checkpointId === 'c1' && hello.token === 'good' ? target : undefined));
  try {
    const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token: 'good' }, { checkpointId: 'c1', token: 'good' });
    const data = randomBytes(PAGE_FRAME_MAX + 8192);
    await writer.write(0, data);
    let acked = false;
    const all = writer.allAcked().then(() => (acked = true));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(acked, false, 'no ack before the target is durable');
    release();
    await all;
    assert.deepEqual(Buffer.concat([stored.get(0)!, stored.get(PAGE_FRAME_MAX)!]), data);
    writer.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(broken.length, 1, 'a stream closed before its commit is reported broken');
  } finally {
    listener.close();
  }
});

test('frames keep being read while a write is under way, up to a bound', async () => {
  const offsets: number[] = [];
  const writes: (() => void)[] = [];
  const target: PageTarget = {
    write: (offset) => {
      offsets.push(offset);
      return { written: new Promise<void>((resolve) => writes.push(resolve)), durable: new Promise<void>(() => {}) };
    },
    broken: () => {},
  };
  const listener = await listenForPages('127.0.0.1', 0, () => target);
  try {
    const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token: 't' }, { checkpointId: 'c1', token: 't' });
    const data = randomBytes(24 * PAGE_FRAME_MAX);
    // Not awaited: it resolves only once the socket has taken everything, and reading pauses.
    const sent = writer.write(0, data);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(offsets.length > 1, 'the next frame is read before the first is written');
    assert.ok(offsets.length < 24, `reading pauses while too much is unwritten (${offsets.length} frames taken)`);
    for (let i = 0; i < 24 && offsets.length < 24; i++) {
      for (const w of writes.splice(0)) w();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(offsets, Array.from({ length: 24 }, (_, i) => i * PAGE_FRAME_MAX), 'reading resumes once the writes are done');
    await sent;
    writer.close();
  } finally {
    listener.close();
  }
});

test('a wrong token is cut off', async () => {
  const { target, stored } = recordingTarget();
  const listener = await listenForPages('127.0.0.1', 0, (hello) => (hello.token === 'good' ? target : undefined));
  try {
    const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token: 'bad' }, { checkpointId: 'c1', token: 'bad' });
    await writer.write(0, Buffer.alloc(4096));
    await assert.rejects(writer.allAcked(), /the image server is gone/);
    assert.equal(stored.size, 0);
  } finally {
    listener.close();
  }
});

test('a fetch takes a file over its token once; a short one fails, an unreachable one falls back', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-page-fetch-'));
  const data = randomBytes(3 * PAGE_FRAME_MAX + 4096);
  fs.writeFileSync(path.join(dir, 'pages'), data);
  const tokens = new Map([['once', data.length], ['short', data.length + 4096]]);
  const listener = await listenForPages('127.0.0.1', 0, () => undefined, (hello) => {
    const length = tokens.get(hello.token);
    tokens.delete(hello.token);
    return length === undefined ? undefined : { file: path.join(dir, 'pages'), length };
  });
  try {
    const offer = (token: string) => ({ host: listener.host, port: listener.port, token });
    assert.equal(await receivePages(offer('once'), { checkpointId: 'c1', token: 'once' }, path.join(dir, 'a'), data.length), true);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'a')), data);
    await assert.rejects(receivePages(offer('once'), { checkpointId: 'c1', token: 'once' }, path.join(dir, 'b'), data.length), /ended after 0 of \d+ bytes/);
    await assert.rejects(receivePages(offer('short'), { checkpointId: 'c1', token: 'short' }, path.join(dir, 'c'), data.length + 4096), new RegExp(`ended after ${data.length} of ${data.length + 4096} bytes`));
    const closed = { host: '127.0.0.1', port: await freePort(), token: 'x' };
    assert.equal(await receivePages(closed, { checkpointId: 'c1', token: 'x' }, path.join(dir, 'd'), 1), false);
    assert.equal(fs.existsSync(path.join(dir, 'd')), false, 'nothing written before the fallback');
  } finally {
    listener.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** A port nothing listens on (just closed). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
