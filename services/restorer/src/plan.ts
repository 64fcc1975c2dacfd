import type { Core, Fd, Mm, Pages, ProcAttrs, Signals, Task, Vma, Image } from '@ferry/proto';
import { FILE_KINDS } from './objects/file-kinds.js';
import { VmaKind } from '@ferry/proto';

export interface TaskPlan {
  task: Task;
  core: Core;
  signals: Signals;
  attrs: ProcAttrs;
  mm: Mm;
  vmas: Vma[];
  pages: Pages[];
  fds: Fd[];
}

export interface RestorePlan {
  root: TaskPlan;
  tasks: TaskPlan[];
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

function planTask(image: Image, task: Task, fileIds: Set<string>): TaskPlan {
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
  const seen = new Set<number>();
  for (const f of fds) {
    if (seen.has(f.fd)) throw new PlanError(`image: pid ${pid} has fd ${f.fd} twice`);
    seen.add(f.fd);
    if (!fileIds.has(f.fileId)) throw new PlanError(`image: fd fd:${pid}:${f.fd} names file ${f.fileId}, which the image does not have`);
  }
  const core = one(image.byKind('core').filter((c) => c.pid === pid), 'core', pid);
  if (core.tid !== pid) throw new PlanError(`image: core core:${core.tid} belongs to thread ${core.tid}, not to pid ${pid}`);
  return {
    task,
    core,
    signals: one(mine(image.byKind('signals')), 'signals', pid),
    attrs: one(mine(image.byKind('procattrs')), 'procattrs', pid),
    mm: one(mine(image.byKind('mm')), 'mm', pid),
    vmas,
    pages,
    fds,
  };
}

/** Everything restore needs, cross-checked: nothing is created before this passes. */
export function planRestore(image: Image): RestorePlan {
  const ids = FILE_KINDS.flatMap((k) => k.ids(image));
  const fileIds = new Set(ids);
  if (fileIds.size !== ids.length) throw new PlanError('image: two file records share one id');
  const tasks = image.byKind('pstree');
  if (tasks.length !== 1) throw new PlanError(`image: ${tasks.length} tasks; only single-process images are supported yet`);
  const plans = tasks.map((t) => planTask(image, t, fileIds));
  const root = plans.find((p) => p.task.pid === image.inventory.rootPid);
  if (!root) throw new PlanError(`image: the root pid ${image.inventory.rootPid} has no task record`);
  for (const p of plans) {
    if (p.task.threads.length !== 1 || p.task.threads[0] !== p.task.pid) throw new PlanError(`image: pid ${p.task.pid} has threads ${p.task.threads.join(',')}; only single-threaded processes are supported yet`);
  }
  return { root, tasks: plans, pageStorePath: image.pageStorePath };
}
