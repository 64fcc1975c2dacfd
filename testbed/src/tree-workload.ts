// The tree workload (workloads/tree.c) started and ready, for tests that need a whole tree.
import fs from 'node:fs';
import { workload } from './build.js';
import type { Scratch } from './scratch.js';
import { launch, treeOf, waitForLine, waitUntil, killAll } from './processes.js';

export interface RunningTree {
  root: number;
  /** Every pid of the tree once it is ready, root first. */
  pids: number[];
  /** The workload's output: "ready ..." once set up, then a "check ..." line per SIGUSR1. */
  out: string;
}

/** Starts the tree, runs TEST with it, and kills whatever of it is left however TEST ends. */
export async function withTree(scratch: Scratch, testBody: (tree: RunningTree) => Promise<void>): Promise<void> {
  const out = scratch.path('out');
  const root = launch([workload('tree', ['-pthread'])], { newSession: true, output: out });
  const tree: RunningTree = { root, pids: [root], out };
  try {
    await waitForLine(out, /^ready/);
    tree.pids = treeOf(root);
    await testBody(tree);
  } finally {
    await killAll(tree.pids);
    scratch.remove();
  }
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
