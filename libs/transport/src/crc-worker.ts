import { Worker } from 'node:worker_threads';
import { crc32 } from '@ferry/sys/crc32';

/**
 * crc32 of page runs on a thread of its own, while the main thread sends the same run: the crc was
 * a third of the sender's thread and the page stream waited on it. Only runs in shared memory can
 * be read there without a copy; others are summed here.
 */
export class CrcWorker {
  private worker?: Worker;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (crc: number) => void; reject: (e: Error) => void }>();

  crc32(data: Buffer): Promise<number> {
    if (!(data.buffer instanceof SharedArrayBuffer)) return Promise.resolve(crc32(data));
    const worker = this.started();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, buffer: data.buffer, offset: data.byteOffset, length: data.length });
    });
  }

  close(): void {
    void this.worker?.terminate();
    this.worker = undefined;
    this.failAll(new Error('the crc thread was stopped'));
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./crc-thread.js', import.meta.url));
    worker.unref();
    worker.on('message', ({ id, crc }: { id: number; crc: number }) => {
      this.waiting.get(id)?.resolve(crc);
      this.waiting.delete(id);
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', () => this.failAll(new Error('the crc thread ended')));
    this.worker = worker;
    return worker;
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    this.worker = undefined;
  }
}
