import type { Image, Mm, Pages, Vma } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import type { ObjectKind, TaskContext, TreeView } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy, onePerTask, planned } from '../kind-records.js';
import { prepareAddressSpace, mapVmas, protectVmas, type SharedMemory, type SegmentSizes } from './vma.js';
import { fillPages } from './pages.js';
import { restoreMm } from './mm.js';

const HOLDS_PAGES = new Set([VmaKind.ANON_PRIVATE, VmaKind.FILE_PRIVATE, VmaKind.ANON_SHARED, VmaKind.SYSV_SHM]);

/** A task's memory: its mappings by address, the page runs that fill them, its mm fields. */
interface TaskMemory {
  vmas: Vma[];
  pages: Pages[];
  /** An incremental image's parent's pages, cut to the mappings: laid first, the image's own win. */
  parentPages: Pages[];
  mm: Mm;
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

function checkVmas(pid: number, vmas: Vma[], tree: TreeView): void {
  vmas.forEach((v, i) => {
    if (v.fileId !== '' && !tree.fileIds.has(v.fileId)) throw new PlanError(`image: vma vma:${pid}:${v.start.toString(16)} maps file ${v.fileId}, which the image does not have`);
    const next = vmas[i + 1];
    if (next && v.end > next.start) throw new PlanError(`image: vma vma:${pid}:${v.start.toString(16)} overlaps the next mapping at 0x${next.start.toString(16)}`);
  });
}

function checkPages(pid: number, pages: Pages[], vmas: Vma[]): void {
  for (const p of pages) {
    const end = p.vaddr + BigInt(p.npages) * 4096n;
    const v = vmaHolding(vmas, p.vaddr, end);
    if (!v) throw new PlanError(`image: pages pages:${pid}:${p.vaddr.toString(16)} lie outside every mapping of pid ${pid}`);
    if (!HOLDS_PAGES.has(v.kind)) throw new PlanError(`image: pages pages:${pid}:${p.vaddr.toString(16)} lie in a mapping that holds no pages of its own (${VmaKind[v.kind]})`);
  }
}

/** The parts of PAGES that lie in mappings holding pages of their own; the rest is gone since. */
function clipToMappings(pages: Pages[], vmas: Vma[]): Pages[] {
  const out: Pages[] = [];
  const holding = vmas.filter((v) => HOLDS_PAGES.has(v.kind));
  for (const p of pages) {
    const end = p.vaddr + BigInt(p.npages) * 4096n;
    for (const v of holding) {
      const from = p.vaddr > v.start ? p.vaddr : v.start;
      const to = end < v.end ? end : v.end;
      if (from >= to) continue;
      out.push({ ...p, vaddr: from, npages: Number((to - from) / 4096n), offset: p.offset + (from - p.vaddr) });
    }
  }
  return out;
}

/** A deleted program's exe link is set to its re-made ghost file, so the mm must name one of the image's ghost records. */
function checkExeFile(mm: Mm, ghostIds: ReadonlySet<string>): void {
  if (mm.exeFileId !== '' && !ghostIds.has(mm.exeFileId)) throw new PlanError(`image: mm mm:${mm.pid} gives its program as file ${mm.exeFileId}, which is no ghost file of the image`);
}

function planMemory(image: Image, tree: TreeView): Map<number, TaskMemory> {
  const ghostIds = new Set(image.byKind('ghost').map((g) => g.id));
  const vmasOf = groupBy(image.byKind('vma'), (v) => v.pid);
  const pagesOf = groupBy(image.byKind('pages'), (p) => p.pid);
  const mms = onePerTask(image.byKind('mm'), tree, 'mm');
  const out = new Map<number, TaskMemory>();
  for (const [pid, mm] of mms) {
    const vmas = (vmasOf.get(pid) ?? []).sort((a, b) => (a.start < b.start ? -1 : 1));
    checkVmas(pid, vmas, tree);
    checkExeFile(mm, ghostIds);
    const pages = pagesOf.get(pid) ?? [];
    checkPages(pid, pages, vmas);
    out.set(pid, { vmas, pages, mm, parentPages: image.parent ? clipToMappings(image.parent.byKind('pages').filter((p) => p.pid === pid), vmas) : [] });
  }
  return out;
}

/** The mapping of each page run, so that mappings that receive pages are writable until they have them. */
function mappingsWithPages(memory: TaskMemory): Set<bigint> {
  const starts = memory.vmas.map((v) => v.start);
  const out = new Set<bigint>();
  for (const p of [...memory.parentPages, ...memory.pages]) {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= p.vaddr) lo = mid; else hi = mid - 1;
    }
    out.add(starts[lo]!);
  }
  return out;
}

function rebuildMemory({ task, consumer, opened }: TaskContext, memory: TaskMemory, pageStorePath: string, parentStorePath: string | undefined, shared: SharedMemory, segmentSizes: SegmentSizes): void {
  const receiving = mappingsWithPages(memory);
  const receivesPages = (v: { start: bigint }) => receiving.has(v.start);
  prepareAddressSpace(task, memory.vmas);
  restoreMm(task, memory.mm, opened);
  mapVmas(task, memory.vmas, receivesPages, shared, opened, segmentSizes);
  if (parentStorePath !== undefined) fillPages(task, memory.parentPages, parentStorePath);
  fillPages(task, memory.pages, pageStorePath, consumer);
  protectVmas(task, memory.vmas, receivesPages);
}

/** Memory (vma, pages and mm records): each task's address space, before its fds in the registry. */
export const memoryKind: ObjectKind = {
  name: 'memory',
  check(image, tree) {
    const memory = planMemory(image, tree);
    const shared: SharedMemory = new Map();
    // The sysvshm kind checks these records; an attach only needs to know how far its segment reaches.
    const segmentSizes: SegmentSizes = new Map(image.byKind('sysvshm').map((s) => [BigInt(s.id), s.size]));
    return {
      reservedRanges: [...memory.values()].flatMap((m) => m.vmas),
      perTask: { RESTORE: (ctx) => rebuildMemory(ctx, planned(memory, ctx.task.pid), image.pageStorePath, image.parent?.pageStorePath, shared, segmentSizes) },
    };
  },
};
