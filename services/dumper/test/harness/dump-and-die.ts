// A dumper that SIGKILLs itself partway: `dump-and-die PID DIR WHEN`, WHEN being
//   never        dump to the end (--leave-running), then print how long it took and the kinds of
//                the records it made, in order
//   record:N     die as the Nth record is handed to the sink, right after what produced it
//   after:US     die US microseconds into the dump, from a second thread
// A kill that would land inside a batch of injected calls waits for its end: that window is the
// one the design gives up, and what the test checks is that it is the only one.
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { openLocalSink, type RecordSink } from '@ferry/proto';
import { dump } from '../../src/dump.js';
import { FrozenTask } from '../../src/frozen-task.js';

const FREE = 0, IN_BATCH = 1, KILLING = 2;

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  for (;;) { /* the signal is on its way */ }
}

function guardBatches(state: Int32Array): void {
  const injecting = FrozenTask.prototype.injecting;
  FrozenTask.prototype.injecting = function (this: FrozenTask, ...args: Parameters<typeof injecting>) {
    if (Atomics.compareExchange(state, 0, FREE, IN_BATCH) === KILLING) Atomics.wait(state, 0, KILLING);
    try {
      return injecting.apply(this, args);
    } finally {
      Atomics.store(state, 0, FREE);
    }
  } as typeof injecting;
}

function killer(shared: SharedArrayBuffer, afterUs: number): void {
  const state = new Int32Array(shared, 0, 1);
  const started = new Int32Array(shared, 4, 1);
  parentPort!.postMessage('ready');
  Atomics.wait(started, 0, 0);
  const until = performance.now() + afterUs / 1000;
  while (performance.now() < until) { /* sleeping would be too coarse */ }
  while (Atomics.compareExchange(state, 0, FREE, KILLING) !== FREE) { /* a batch is running */ }
  die();
}

async function main(): Promise<void> {
  const [pidArg, dir, when] = process.argv.slice(2);
  const shared = new SharedArrayBuffer(8);
  const started = new Int32Array(shared, 4, 1);
  if (when!.startsWith('after:')) {
    guardBatches(new Int32Array(shared, 0, 1));
    const worker = new Worker(new URL(import.meta.url), { workerData: { shared, afterUs: Number(when!.slice(6)) } });
    worker.unref();
    await new Promise((resolve) => worker.once('message', resolve));
  }
  let left = when!.startsWith('record:') ? Number(when!.slice(7)) : Infinity;
  const kinds: string[] = [];
  const openSink = async (inv: Parameters<typeof openLocalSink>[1]): Promise<RecordSink> => {
    const sink = await openLocalSink(dir!, inv);
    const put = sink.put.bind(sink);
    sink.put = (...args) => {
      kinds.push(args[0]);
      return --left === 0 ? die() : put(...args);
    };
    return sink;
  };
  const t0 = performance.now();
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  await dump({ pid: Number(pidArg), openSink, leaveRunning: true });
  process.stdout.write(JSON.stringify({ ms: performance.now() - t0, kinds }) + '\n');
}

if (isMainThread) await main();
else killer(workerData.shared, workerData.afterUs);
