import { Worker } from 'node:worker_threads';
import type { Image } from '@ferry/proto';

/**
 * Checks the page digests on another thread while the tasks are being built: the restorer's own
 * thread spends that time waiting on ptrace stops, so the check costs no time, and every task
 * stays stopped until the check has passed.
 */
export function checkPagesInBackground(image: Image): Promise<void> {
  const worker = new Worker(new URL('./page-check-worker.js', import.meta.url), {
    workerData: { file: image.pageStorePath, runs: image.pageRuns, pageBytes: image.commit.pageBytes },
  });
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { error?: string }) => (m.error ? reject(new Error(m.error)) : resolve()));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`page check ended early (exit ${code})`)));
  });
}
