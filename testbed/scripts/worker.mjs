// A timer in the main thread and a worker incrementing a shared counter; the main thread appends
// "N COUNTER" to a file every 50 ms.
import { Worker } from 'node:worker_threads';
import fs from 'node:fs';
const shared = new Int32Array(new SharedArrayBuffer(4));
new Worker("const { workerData } = require('node:worker_threads'); setInterval(() => Atomics.add(workerData, 0, 1), 5);", { eval: true, workerData: shared });
let n = 0;
setInterval(() => fs.appendFileSync(process.argv[2], `${++n} ${Atomics.load(shared, 0)}\n`), 50);
