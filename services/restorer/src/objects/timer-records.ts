import type { Task } from '@ferry/proto';
import type { TreeView } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy } from '../kind-records.js';

/**
 * Each live task's record of a timer kind, if it has one: an image from before the kind has
 * none, and a task without timers needs none. A record of a pid that is no live task is refused.
 */
export function timersByTask<T extends { pid: number }>(records: T[], tree: TreeView, kind: string): Map<number, { task: Task; record: T }> {
  const byPid = groupBy(records, (r) => r.pid);
  const out = new Map<number, { task: Task; record: T }>();
  for (const [pid, list] of byPid) {
    const task = tree.live.find((t) => t.pid === pid);
    if (!task) throw new PlanError(`image: ${kind} ${kind}:${pid} is for pid ${pid}, which is not a live task of the tree`);
    if (list.length > 1) throw new PlanError(`image: pid ${pid} has ${list.length} ${kind} records, expected at most 1`);
    out.set(pid, { task, record: list[0]! });
  }
  return out;
}
