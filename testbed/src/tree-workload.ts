// The tree workload (workloads/tree.c) started and ready, for tests that need a whole tree.
import fs from 'node:fs';
import { workload } from './build.js';
import type { TestBed } from './test-bed.js';
import { waitForLine, waitUntil } from './processes.js';

export interface RunningTree {
  root: number;
  /** Every pid of the tree once it is ready, root first. */
  pids: number[];
  /** The workload's output: "ready ..." once set up, then a "check ..." line per SIGUSR1. */
  out: string;
}

/** Starts the tree in BED (which kills whatever of it is left at the end) and waits until it is ready. */
export async function startTreeIn(bed: TestBed): Promise<RunningTree> {
  const root = bed.start([workload('tree', ['-pthread'])]);
  await waitForLine(bed.output.file, /^ready/);
  return { root, pids: bed.adoptTree(root), out: bed.output.file };
}

function verdicts(out: string): string[] {
  return fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('check'));
}

/** Asks the root to check its shared memory and its child's thread; resolves with the verdict line. */
export async function treeCheck(tree: RunningTree): Promise<string> {
  const earlier = verdicts(tree.out).length;
  process.kill(tree.root, 'SIGUSR1');
  await waitUntil('a check verdict from the tree', () => verdicts(tree.out).length > earlier);
  return verdicts(tree.out)[earlier]!;
}
