import { parentPort, workerData } from 'node:worker_threads';
// Only the page check: the rest of @ferry/proto (protobufjs, schemas) would take longer to load than the check runs.
import { verifyPageStore, type PageRun } from '@ferry/proto/page-store-check';

const { file, runs, pageBytes, progress } = workerData as { file: string; runs: PageRun[]; pageBytes: bigint; progress: SharedArrayBuffer };
const checkedUpTo = new BigInt64Array(progress);
verifyPageStore(file, runs, pageBytes, (upTo) => Atomics.store(checkedUpTo, 0, BigInt(upTo))).then(
  () => parentPort!.postMessage({}),
  (e: unknown) => parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) }),
);
