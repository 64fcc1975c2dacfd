import fs from 'node:fs';
import { readStat, ptrace, PTRACE_O } from '@ferry/sys';
import { FrozenTask } from './frozen-task.js';

export interface FrozenTree {
  /** Live processes, parents before their children. */
  tasks: FrozenTask[];
  /** Dead children not yet reaped by their parents. */
  zombies: number[];
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text) out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

/** The process and its descendants as they are now, parents first (nothing is stopped). */
export function runningTree(root: number): number[] {
  const pids = [root];
  for (let i = 0; i < pids.length; i++) {
    try {
      pids.push(...childrenOf(pids[i]!));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

export function pidsOf(tree: FrozenTree): number[] {
  return [...tree.tasks.map((t) => t.pid), ...tree.zombies];
}

/**
 * Freezes the process and all its descendants. A parent is frozen before its children are read,
 * so it cannot fork behind our back; the walk goes on until no new process turns up.
 */
export function freezeTree(root: number): FrozenTree {
  const tree: FrozenTree = { tasks: [], zombies: [] };
  const queue = [root];
  try {
    while (queue.length) {
      const pid = queue.shift()!;
      if (readStat(pid).state === 'Z') {
        tree.zombies.push(pid);
        continue;
      }
      tree.tasks.push(FrozenTask.freeze(pid));
      queue.push(...childrenOf(pid));
    }
    return tree;
  } catch (e) {
    releaseTree(tree);
    throw e;
  }
}

export function releaseTree(tree: FrozenTree): void {
  for (const t of [...tree.tasks].reverse()) t.release();
}

/**
 * From now on the tree dies with this process: a holder that dies after the commit must not let
 * the tree run on, since its copy may be running elsewhere by then.
 */
export function dieWithHolder(tree: FrozenTree): void {
  for (const t of tree.tasks) for (const thread of t.threads) ptrace.setOptions(thread.tid, PTRACE_O.TRACESYSGOOD | PTRACE_O.EXITKILL);
}

export function killTree(tree: FrozenTree): void {
  // Children first, so no parent sees a child die while it could still run.
  for (const t of [...tree.tasks].reverse()) t.kill();
}
