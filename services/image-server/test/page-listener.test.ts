// The page stream on its own: bytes arrive at their offsets, acks come only once the target says
// they are durable, and a connection with the wrong token gets nothing and is cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PageStreamWriter, PAGE_FRAME_MAX } from '@ferry/transport';
import { listenForPages, type PageTarget } from '../src/page-listener.js';

function recordingTarget() {
  const stored = new Map<number, Buffer>();
  const broken: string[] = [];
  let release!: () => void;
  const durable = new Promise<void>((resolve) => (release = resolve));
  const target: PageTarget = {
    write: (offset, data) => {
      stored.set(offset, data);
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
