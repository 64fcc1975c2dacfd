import type { Core, Creds, EventPoll, Fd, Mm, Pages, ProcAttrs, Signals, Task, Vma, Image } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import { FILE_KINDS } from './objects/file-kinds.js';
import { checkRemaps } from './objects/remap.js';
import { planLeaderHelpers, type LeaderHelper } from './leaders.js';
import { checkEventPolls } from './objects/eventpoll.js';

export interface LiveTaskPlan {
  task: Task;
  zombie: false;
  /** One per thread, the leader first, in the order of task.threads. */
  cores: Core[];
  signals: Signals;
  attrs: ProcAttrs;
  creds: Creds;
  mm: Mm;
  vmas: Vma[];
  pages: Pages[];
  /** Every descriptor: fdsFromFerry are taken from ferry's open files, devTtyFds reopened by the task. */
  fds: Fd[];
  fdsFromFerry: Fd[];
  devTtyFds: Fd[];
  /** Epoll instances whose watch lists this task re-adds. */
  epolls: EventPoll[];
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
}

export class PlanError extends Error {}

const HOLDS_PAGES = new Set([VmaKind.ANON_PRIVATE, VmaKind.FILE_PRIVATE, VmaKind.ANON_SHARED]);

function one<T>(list: T[], what: string, pid: number): T {
  if (list.length !== 1) throw new PlanError(`image: pid ${pid} has ${list.length} ${what} records, expected 1`);
  return list[0]!;
}

function vmaHolding(vmas: Vma[], addr: bigint, end: bigint): Vma | undefined {
  let lo = 0, hi = vmas.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = vmas[mid]!;
    if (addr < v.start) hi = mid - 1;
    else if (addr >= v.end) lo = mid + 1;
    else return end <= v.end ? v : undefined;
  }
  return undefined;
}

function planLiveTask(image: Image, task: Task, fileIds: Set<string>): LiveTaskPlan {
  const pid = task.pid;
  const mine = <T extends { pid: number }>(list: T[]) => list.filter((x) => x.pid === pid);
  const vmas = mine(image.byKind('vma')).sort((a, b) => (a.start < b.start ? -1 : 1));
  vmas.forEach((v, i) => {
    const next = vmas[i + 1];
    if (next && v.end > next.start) throw new PlanError(`image: vma vma:${pid}:${v.start.toString(16)} overlaps the next mapping at 0x${next.start.toString(16)}`);
  });
  const pages = mine(image.byKind('pages'));
  for (const p of pages) {
    const end = p.vaddr + BigInt(p.npages) * 4096n;
    const v = vmaHolding(vmas, p.vaddr, end);
    if (!v) throw new PlanError(`image: pages pages:${pid}:${p.vaddr.toString(16)} lie outside every mapping of pid ${pid}`);
    if (!HOLDS_PAGES.has(v.kind)) throw new PlanError(`image: pages pages:${pid}:${p.vaddr.toString(16)} lie in a mapping that holds no pages of its own (${VmaKind[v.kind]})`);
  }
  const fds = mine(image.byKind('fd'));
  const devTtyIds = new Set(image.byKind('ttyfile').filter((f) => f.devTty).map((f) => f.id));
  const seen = new Set<number>();
  for (const f of fds) {
    if (seen.has(f.fd)) throw new PlanError(`image: pid ${pid} has fd ${f.fd} twice`);
    seen.add(f.fd);
    if (!fileIds.has(f.fileId)) throw new PlanError(`image: fd fd:${pid}:${f.fd} names file ${f.fileId}, which the image does not have`);
  }
  const epolls = image.byKind('eventpoll').filter((e) => e.ownerPid === pid);
  checkEventPolls(epolls, fds);
  const cores = task.threads.map((tid) => one(image.byKind('core').filter((c) => c.tid === tid), `core (thread ${tid})`, pid));
  for (const c of cores) if (c.pid !== pid) throw new PlanError(`image: core core:${c.tid} belongs to pid ${c.pid}, not to pid ${pid}`);
  return {
    task,
    zombie: false,
    cores,
    signals: one(mine(image.byKind('signals')), 'signals', pid),
    attrs: one(mine(image.byKind('procattrs')), 'procattrs', pid),
    creds: one(mine(image.byKind('creds')), 'creds', pid),
    mm: one(mine(image.byKind('mm')), 'mm', pid),
    vmas,
    pages,
    fds,
    fdsFromFerry: fds.filter((f) => !devTtyIds.has(f.fileId)),
    devTtyFds: fds.filter((f) => devTtyIds.has(f.fileId)),
    epolls,
  };
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

/** Everything restore needs, cross-checked: nothing is created before this passes. */
export function planRestore(image: Image): RestorePlan {
  const ids = FILE_KINDS.flatMap((k) => k.ids(image));
  const fileIds = new Set(ids);
  if (fileIds.size !== ids.length) throw new PlanError('image: two file records share one id');
  const records = image.byKind('pstree');
  const allTids = records.flatMap((t) => t.threads);
  if (new Set(allTids).size !== allTids.length) throw new PlanError('image: a pid or thread id appears in two tasks');
  const order = treeOrder(records, image.inventory.rootPid);
  const leaderHelpers = planLeaderHelpers(order);
  checkRemaps(image, new Set(allTids));
  const orphanPoll = image.byKind('eventpoll').find((e) => !records.some((t) => t.pid === e.ownerPid && !t.zombie));
  if (orphanPoll) throw new PlanError(`image: epoll ${orphanPoll.id} names owner ${orphanPoll.ownerPid}, which is not a live task of the tree`);
  const tasks: TaskPlan[] = order.map((t) => (t.zombie ? { task: t, zombie: true } : planLiveTask(image, t, fileIds)));
  const root = tasks[0]!;
  if (root.zombie) throw new PlanError(`image: the root pid ${root.task.pid} is a zombie`);
  for (const t of tasks) {
    if (t.zombie && order.some((o) => o.ppid === t.task.pid)) throw new PlanError(`image: zombie ${t.task.pid} has children`);
  }
  return { root, tasks, live: tasks.filter((t): t is LiveTaskPlan => !t.zombie), leaderHelpers, pageStorePath: image.pageStorePath };
}
