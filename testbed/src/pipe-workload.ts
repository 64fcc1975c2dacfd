// The pipes workload (workloads/pipes.c): a parent reading what its child writes into a pipe or
// FIFO, both driven by SIGUSR1 and reporting on their output file.
import fs from 'node:fs';
import { workload } from './build.js';
import type { TestBed } from './test-bed.js';
import { waitForLine, waitUntil } from './processes.js';

export interface PipePair {
  parent: number;
  child: number;
  out: string;
}

/** Starts `pipes ARGS` in BED (writing to its output, in no session of its own) and waits until the child has filled the pipe. */
export async function startPipePair(bed: TestBed, args: string[]): Promise<PipePair> {
  const out = bed.output.file;
  const parent = bed.start([workload('pipes'), ...args], { newSession: false });
  const ready = await waitForLine(out, /^ready child \d+$/);
  return { parent, child: bed.adopt(Number(ready.split(' ')[2])), out };
}

function matching(out: string, pattern: RegExp): string[] {
  return fs.readFileSync(out, 'utf8').split('\n').filter((l) => pattern.test(l));
}

/** Signals PID with SIGUSR1 and resolves with the next line of OUT that matches PATTERN. */
export async function signalAndAwait(pid: number, out: string, pattern: RegExp): Promise<string> {
  const earlier = matching(out, pattern).length;
  process.kill(pid, 'SIGUSR1');
  await waitUntil(`${pattern} from pid ${pid}`, () => matching(out, pattern).length > earlier);
  return matching(out, pattern)[earlier]!;
}

/** The parent reads everything queued and says what it got: "drained N ok total T size S nonblock X cloexec Y". */
export function drain(pair: PipePair): Promise<string> {
  return signalAndAwait(pair.parent, pair.out, /^drained /);
}

/** The child writes 1000 more bytes of the pattern. */
export function writeMore(pair: PipePair): Promise<string> {
  return signalAndAwait(pair.child, pair.out, /^wrote /);
}
