import { Worker } from 'node:worker_threads';
import type { Image } from '@ferry/proto';

export interface PageCheck {
  /** Settles once every digest is checked. */
  done: Promise<void>;
  /**
   * The page store's bytes before this offset have passed. Shared memory, not a message: the
   * restorer's thread reads it in the middle of a long synchronous fill.
   */
  checkedUpTo(): number;
}

/**
 * Checks the page digests on another thread while the tasks are being built: the restorer's own
 * thread spends that time waiting on ptrace stops, so the check costs no time, and every task
 * stays stopped until the check has passed.
 */
export function checkPagesInBackground(image: Image): PageCheck {
  const progress = new SharedArrayBuffer(8);
  const checked = new BigInt64Array(progress);
  const worker = new Worker(new URL('./page-check-worker.js', import.meta.url), {
    workerData: { file: image.pageStorePath, runs: image.pageRuns, pageBytes: image.commit.pageBytes, progress },
  });
  const done = new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`page check ended early (exit ${code})`)));
  });
  return { done, checkedUpTo: () => Number(Atomics.load(checked, 0)) };
}
