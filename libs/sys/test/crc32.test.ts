// Page records carry zlib's crc32: libdeflate's sums must be the same numbers, for any length,
// any offset into a buffer (page runs are views into larger read buffers), shared memory
// (the crc thread's runs) and any seed (the page check continues a run's crc across reads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { crc32, crc32Implementation } from '../src/crc32.js';

test('crc32 sums with libdeflate (setup installs it) and agrees with zlib on every length, offset and seed', () => {
  assert.equal(crc32Implementation(), 'libdeflate');
  const data = randomBytes(1 << 20);
  for (const length of [0, 1, 3, 15, 16, 63, 64, 65, 255, 4096, 65537, (1 << 20) - 7]) {
    for (const offset of [0, 1, 7]) {
      const view = data.subarray(offset, offset + Math.min(length, data.length - offset));
      assert.equal(crc32(view), zlib.crc32(view), `length ${view.length} at ${offset}`);
      const seed = zlib.crc32(data.subarray(0, 100));
      assert.equal(crc32(view, seed), zlib.crc32(view, seed), `length ${view.length} at ${offset}, seeded`);
    }
  }
  const shared = new Uint8Array(new SharedArrayBuffer(1 << 16));
  shared.set(data.subarray(0, shared.length));
  assert.equal(crc32(shared.subarray(5, 40000)), zlib.crc32(shared.subarray(5, 40000)));
});

test('crc32 sums the same on a worker thread', async () => {
  const shared = new Uint8Array(new SharedArrayBuffer(1 << 20));
  shared.set(randomBytes(shared.length));
  const url = new URL('../src/crc32.js', import.meta.url).href;
  const worker = new Worker(`import(${JSON.stringify(url)}).then((m) => require('node:worker_threads').parentPort.postMessage([m.crc32Implementation(), m.crc32(require('node:worker_threads').workerData.subarray(3))]))`, { eval: true, workerData: shared });
  const [implementation, sum] = await new Promise<[string, number]>((resolve, reject) => worker.once('message', resolve).once('error', reject));
  await worker.terminate();
  assert.equal(implementation, 'libdeflate');
  assert.equal(sum, zlib.crc32(shared.subarray(3)));
});
