// The splice path of a PageFile target (splice-receive.ts): every test checks that the listener
// handed the socket over, so that a silent fallback to the buffered path fails here.
import { test } from 'node:test';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PageStreamWriter, PAGE_FRAME_MAX, pageFrameHeader } from '../src/page-stream.js';
import { listenForPages, type PageListener } from '../src/page-listener.js';
import { PageFile } from '../src/page-file.js';
import { sendRandomRuns } from './random-runs.js';

/** FILE, with a record of whether it took the socket. */
function spied(file: PageFile): { file: PageFile; took: () => boolean } {
  let took = false;
  const receiveFrom = file.receiveFrom.bind(file);
  file.receiveFrom = (fd) => {
    const done = receiveFrom(fd);
    took ||= done !== undefined;
    return done;
  };
  return { file, took: () => took };
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-splice-'));
  try {
    await run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One PageFile (unsynced) behind a listener that gives every stream to it. */
function withSplicedFile(run: (s: { file: PageFile; took: () => boolean; broken: string[]; listener: PageListener }) => Promise<void>): Promise<void> {
  return withDir(async (dir) => {
    const broken: string[] = [];
    const { file, took } = spied(await PageFile.create(path.join(dir, 'p'), { sync: false, onBroken: (why) => broken.push(why) }));
    const listener = await listenForPages('127.0.0.1', 0, () => file);
    try {
      await run({ file, took, broken, listener });
    } finally {
      listener.close();
    }
  });
}

/** A client that speaks the protocol by hand: sends what it is told, keeps every ack. */
async function rawClient(listener: PageListener, token: string) {
  const socket = net.connect(listener.port, listener.host);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const acks: number[] = [];
  let pending = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    for (; pending.length >= 8; pending = pending.subarray(8)) acks.push(Number(pending.readBigUInt64LE(0)));
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const body = Buffer.from(JSON.stringify({ checkpointId: 'c', token }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  socket.write(Buffer.concat([length, body]));
  return { socket, acks, closed };
}

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  for (const start = Date.now(); !done(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
  }
}

const SIZES = [4096, PAGE_FRAME_MAX - 4096, PAGE_FRAME_MAX, PAGE_FRAME_MAX + 4096, 3 * PAGE_FRAME_MAX + 12288, 4 << 20, 12288];

for (const sync of [false, true]) {
  test(`spliced: random pages of several sizes, several streams in a row, byte for byte (sync: ${sync})`, { timeout: 60_000 }, () =>
    withDir(async (dir) => {
      const files = new Map<string, PageFile>();
      const listener = await listenForPages('127.0.0.1', 0, (hello) => files.get(hello.token));
      try {
        for (let stream = 0; stream < 3; stream++) {
          const token = `t${stream}`;
          const { file, took } = spied(await PageFile.create(path.join(dir, token), { sync, expectedBytes: 8 << 20 }));
          files.set(token, file);
          const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token }, { checkpointId: 'c', token });
          const sent = await sendRandomRuns(writer, SIZES, 3);
          await writer.allAcked();
          assert.equal(file.bytes, sent.length, 'the acks came after the bytes were counted');
          writer.close();
          await file.close();
          assert.ok(took(), 'the file took the socket');
          const got = fs.readFileSync(file.path);
          assert.equal(got.length, sent.length);
          assert.ok(got.equals(sent), `stream ${stream}: the file holds what was sent`);
        }
      } finally {
        listener.close();
      }
    }));
}

test('spliced: a sender that dies in a frame breaks the stream, and nothing past the whole frames is acked or kept', { timeout: 10_000 }, () =>
  withSplicedFile(async ({ file, took, broken, listener }) => {
    const client = await rawClient(listener, 't');
    const first = randomBytes(65536);
    client.socket.write(Buffer.concat([pageFrameHeader(0, first.length), first]));
    await until('the first ack', () => client.acks.length > 0);
    client.socket.write(Buffer.concat([pageFrameHeader(first.length, PAGE_FRAME_MAX), randomBytes(PAGE_FRAME_MAX / 2)]));
    await new Promise((r) => setTimeout(r, 100));
    client.socket.destroy();
    await until('the stream to break', () => broken.length > 0);
    assert.match(broken[0]!, /closed before the commit/);
    assert.deepEqual(client.acks, [first.length]);
    assert.equal(file.bytes, first.length);
    await file.close();
    assert.ok(took(), 'the file took the socket');
    assert.ok(fs.readFileSync(file.path).equals(first), 'the file holds the whole frame only');
  }));

for (const [name, header, pattern] of [
  ['a frame longer than PAGE_FRAME_MAX', pageFrameHeader(0, PAGE_FRAME_MAX + 1), /a page frame of 1048577 bytes/],
  ['an empty frame', pageFrameHeader(0, 0), /a page frame of 0 bytes/],
  ['a frame out of order', pageFrameHeader(4096, 4096), /expected byte 0/],
] as const) {
  test(`spliced: ${name} is refused: the stream is cut, nothing acked or written`, { timeout: 10_000 }, () =>
    withSplicedFile(async ({ file, took, broken, listener }) => {
      const client = await rawClient(listener, 't');
      client.socket.write(Buffer.concat([header, randomBytes(8192)]));
      await client.closed;
      assert.equal(broken.length, 1);
      assert.match(broken[0]!, pattern);
      assert.deepEqual(client.acks, []);
      assert.equal(file.bytes, 0);
      await file.close();
      assert.ok(took(), 'the file took the socket');
      assert.equal(fs.statSync(file.path).size, 0);
    }));
}

test('a PageFile that cannot take the socket is written through the buffered path', { timeout: 10_000 }, () =>
  withDir(async (dir) => {
    const file = await PageFile.create(path.join(dir, 'p'), { sync: false });
    file.receiveFrom = () => undefined;
    const listener = await listenForPages('127.0.0.1', 0, () => file);
    try {
      const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token: 't' }, { checkpointId: 'c', token: 't' });
      const data = randomBytes(3 * PAGE_FRAME_MAX + 4096);
      await writer.write(0, data);
      await writer.allAcked();
      writer.close();
      await file.close();
      assert.ok(fs.readFileSync(file.path).equals(data));
    } finally {
      listener.close();
    }
  }));

test('closing a PageFile mid-stream stops its splice and lets go of the file', { timeout: 10_000 }, () =>
  withSplicedFile(async ({ file, took, listener }) => {
    const client = await rawClient(listener, 't');
    const first = randomBytes(8192);
    client.socket.write(Buffer.concat([pageFrameHeader(0, first.length), first]));
    await until('the first ack', () => client.acks.length > 0);
    await file.close();
    assert.ok(took(), 'the file took the socket');
    await client.closed;
    assert.ok(fs.readFileSync(file.path).equals(first));
  }));
