import { PlanError } from './plan-error.js';
import type { TreeView } from './object-kind.js';

/** RECORDS by the pid (or tid) KEY gives, each list in stream order. */
export function groupBy<T>(records: T[], key: (r: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of records) {
    const list = out.get(key(r));
    if (list) list.push(r);
    else out.set(key(r), [r]);
  }
  return out;
}

/** The one record of LIST, which is about pid PID. */
export function one<T>(list: T[], what: string, pid: number): T {
  if (list.length !== 1) throw new PlanError(`image: pid ${pid} has ${list.length} ${what} records, expected 1`);
  return list[0]!;
}

/** Each live task's one record of RECORDS (a kind with one record per process). */
export function onePerTask<T extends { pid: number }>(records: T[], tree: TreeView, what: string): Map<number, T> {
  const mine = groupBy(records, (r) => r.pid);
  return new Map(tree.live.map((t) => [t.pid, one(mine.get(t.pid) ?? [], what, t.pid)]));
}

/** What a kind's check planned for PID, a live task of the tree. */
export function planned<T>(byTask: ReadonlyMap<number, T>, pid: number): T {
  const mine = byTask.get(pid);
  if (mine === undefined) throw new Error(`pid ${pid} is no live task of the plan`);
  return mine;
}
