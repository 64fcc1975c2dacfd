import { parentPort } from 'node:worker_threads';
import { crc32 } from '@ferry/sys/crc32';

// The crc thread of crc-worker.ts: sums runs that sit in shared memory.
parentPort!.on('message', ({ id, buffer, offset, length }: { id: number; buffer: SharedArrayBuffer; offset: number; length: number }) => {
  parentPort!.postMessage({ id, crc: crc32(new Uint8Array(buffer, offset, length)) });
});
