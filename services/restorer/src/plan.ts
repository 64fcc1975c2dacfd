import type { Core, Image, Task } from '@ferry/proto';
import { KINDS } from './kinds.js';
import { planLeaderHelpers, type LeaderHelper } from './leaders.js';
import { PlanError } from './plan-error.js';
import { groupBy, one } from './kind-records.js';
import type { KindPart, ObjectKind, TreeView } from './object-kind.js';

export { PlanError };

export interface LiveTaskPlan {
  task: Task;
  zombie: false;
  /** One per thread, the leader first, in the order of task.threads. */
  cores: Core[];
}

export interface ZombiePlan {
  task: Task;
  zombie: true;
}

export type TaskPlan = LiveTaskPlan | ZombiePlan;

export interface RestorePlan {
  root: LiveTaskPlan;
  /** Parents before their children. */
  tasks: TaskPlan[];
  live: LiveTaskPlan[];
  /** Stand-ins for session and group leaders that died before the dump. */
  leaderHelpers: LeaderHelper[];
  pageStorePath: string;
  /** Every kind of the registry with its part of this restore, in the registry's order. */
  kinds: { kind: ObjectKind; part: KindPart }[];
}

/** Parents before children, from the root; every task must hang off the root. */
function treeOrder(tasks: Task[], rootPid: number): Task[] {
  const byParent = new Map<number, Task[]>();
  for (const t of tasks) if (t.pid !== rootPid) byParent.set(t.ppid, [...(byParent.get(t.ppid) ?? []), t]);
  const root = tasks.find((t) => t.pid === rootPid);
  if (!root) throw new PlanError(`image: the root pid ${rootPid} has no task record`);
  const order = [root];
  for (let i = 0; i < order.length; i++) order.push(...(byParent.get(order[i]!.pid) ?? []).sort((a, b) => a.pid - b.pid));
  const lost = tasks.find((t) => !order.includes(t));
  if (lost) throw new PlanError(`image: task task:${lost.pid} has parent ${lost.ppid}, which is not in the tree`);
  return order;
}

function checkZombies(order: Task[]): void {
  if (order[0]!.zombie) throw new PlanError(`image: the root pid ${order[0]!.pid} is a zombie`);
  for (const t of order) {
    if (t.zombie && order.some((o) => o.ppid === t.pid)) throw new PlanError(`image: zombie ${t.pid} has children`);
  }
}

/** Each live task's threads, the leader first: one core record each, of that very task. */
function planTask(t: Task, coresOf: Map<number, Core[]>): TaskPlan {
  if (t.zombie) return { task: t, zombie: true };
  const cores = t.threads.map((tid) => one(coresOf.get(tid) ?? [], `core (thread ${tid})`, t.pid));
  for (const c of cores) if (c.pid !== t.pid) throw new PlanError(`image: core core:${c.tid} belongs to pid ${c.pid}, not to pid ${t.pid}`);
  return { task: t, zombie: false, cores };
}

/** What the kinds check their records against: the tree, and the file objects of every kind (one id each). */
function treeView(image: Image, order: Task[]): TreeView {
  const files = KINDS.flatMap((k) => k.files?.(image) ?? []);
  const fileIds = new Set(files.map((f) => f.id));
  if (fileIds.size !== files.length) throw new PlanError('image: two file records share one id');
  const live = order.filter((t) => !t.zombie);
  const livePids = new Set(live.map((t) => t.pid));
  return {
    live,
    isLive: (pid) => livePids.has(pid),
    tids: new Set(order.flatMap((t) => t.threads)),
    fileIds,
    openedByTask: new Set(files.filter((f) => f.openedByTask).map((f) => f.id)),
  };
}

/**
 * Everything restore needs, cross-checked: the tree from its pstree and core records, then every
 * kind's records against it. Nothing is created before this passes.
 */
export function planRestore(image: Image): RestorePlan {
  const records = image.byKind('pstree');
  const allTids = records.flatMap((t) => t.threads);
  if (new Set(allTids).size !== allTids.length) throw new PlanError('image: a pid or thread id appears in two tasks');
  const order = treeOrder(records, image.inventory.rootPid);
  checkZombies(order);
  const leaderHelpers = planLeaderHelpers(order);
  const tree = treeView(image, order);
  const coresOf = groupBy(image.byKind('core'), (c) => c.tid);
  const tasks = order.map((t) => planTask(t, coresOf));
  const live = tasks.filter((t): t is LiveTaskPlan => !t.zombie);
  const kinds = KINDS.map((kind) => ({ kind, part: kind.check(image, tree) }));
  return { root: live[0]!, tasks, live, leaderHelpers, pageStorePath: image.pageStorePath, kinds };
}
