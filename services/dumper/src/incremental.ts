import fs from 'node:fs';
import path from 'node:path';
import { loadLocalImage, PARENT_LINK, VmaKind, type Image, type Pages, type Vma } from '@ferry/proto';
import { WriteTracker, markerPages, trackableRanges, trackedRanges, SYS, type AddressRange } from '@ferry/sys';
import type { Holding } from './collector.js';
import { freezeTree, releaseTree, type FrozenTree } from './tree.js';

const PAGE = 4096;
/** In a pre-dump's directory: which fd of each task holds the userfaultfd that tracks its writes. */
export const TRACKING_FILE = 'tracking.json';
/** The lowest fd a task's userfaultfd is kept at: out of the way of the program's own descriptors. */
const TRACKING_FD_FLOOR = 900;

/** An incremental dump's view of its pre-dump: the parent's pages, and the trackers it left. */
export interface Incremental {
  readonly parentDir: string;
  readonly parent: Image;
  /** Page numbers (address / 4096) of each pid's pages in the parent image. */
  readonly parentPages: Map<number, Set<number>>;
  /** The trackers of the tasks that still hold the pre-dump's userfaultfd. */
  readonly trackers: Map<number, WriteTracker>;
}

function softNofile(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.split(/\s+/)[3]);
  return Number.isFinite(soft) ? soft : 1024;
}

/**
 * Pre-dump: every task of the frozen tree gets a userfaultfd tracking its writes from now on,
 * which the task itself keeps (at a high fd, recorded in TRACKING_FILE) since the tracking ends
 * with the last descriptor of it and this process exits before the dump that reads it. Undone,
 * the tasks close it again: a failed pre-dump leaves nothing tracked.
 */
export function armTracking(tree: FrozenTree, dir: string): Holding {
  const armed: { pid: number; fd: number }[] = [];
  const closeAll = () => {
    for (const { pid, fd } of armed.splice(0)) {
      const task = tree.tasks.find((t) => t.pid === pid)!;
      task.injecting(pid, { scratch: false }, (inj) => inj.raw(SYS.close, fd));
    }
    fs.rmSync(path.join(dir, TRACKING_FILE), { force: true });
  };
  try {
    for (const task of tree.tasks) {
      const floor = Math.max(3, Math.min(TRACKING_FD_FLOOR, softNofile(task.pid) - 64));
      const tracker = task.injecting(task.pid, { scratch: false }, (inj) => WriteTracker.arm(inj, trackableRanges(task.pid), floor));
      armed.push({ pid: task.pid, fd: tracker.taskFd });
      tracker.close();
    }
    fs.writeFileSync(path.join(dir, TRACKING_FILE), JSON.stringify(Object.fromEntries(armed.map((a) => [a.pid, a.fd]))) + '\n');
  } catch (e) {
    closeAll();
    throw e;
  }
  return { release() {}, undo: closeAll };
}

function readTrackingFile(dir: string): Map<number, number> {
  const file = path.join(dir, TRACKING_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: missing: ${dir} is not a pre-dump (ferry pre-dump writes it)`);
  }
  let entries: [string, unknown][];
  try {
    entries = Object.entries(JSON.parse(text) as Record<string, unknown>);
  } catch {
    throw new Error(`${file}: not the JSON a pre-dump writes`);
  }
  const out = new Map<number, number>();
  for (const [pid, fd] of entries) {
    if (!/^\d+$/.test(pid) || !Number.isInteger(fd)) throw new Error(`${file}: entry ${pid}: ${String(fd)} is not pid: fd`);
    out.set(Number(pid), fd as number);
  }
  return out;
}

function pagesByPid(image: Image): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const p of image.byKind('pages') as Pages[]) {
    let set = out.get(p.pid);
    if (!set) out.set(p.pid, (set = new Set()));
    const first = Number(p.vaddr) / PAGE;
    for (let i = 0; i < p.npages; i++) set.add(first + i);
  }
  return out;
}

/**
 * dump --track-mem: the pre-dump in PREV_DIR, verified whole, and the tracking it left in the
 * tasks of the tree at ROOT. Ferry takes each task's userfaultfd and the task closes its own, in
 * one short freeze, so that the program's descriptors are its own again when the dump reads
 * them; tracking goes on meanwhile through ferry's copies. A task that no longer holds one (it
 * exec'd, or was born after the pre-dump) is untracked: its memory is copied whole.
 */
export async function takeTracking(root: number, prevDir: string): Promise<Incremental> {
  const parent = await loadLocalImage(prevDir).catch((e: Error) => {
    throw new Error(`previous images ${prevDir}: ${e.message}`);
  });
  if (parent.inventory.rootPid !== root) throw new Error(`previous images ${prevDir} are of pid ${parent.inventory.rootPid}, not ${root}`);
  const fds = readTrackingFile(prevDir);
  const trackers = new Map<number, WriteTracker>();
  const tree = freezeTree(root);
  try {
    for (const task of tree.tasks) {
      const fd = fds.get(task.pid);
      if (fd === undefined) continue;
      let tracker: WriteTracker;
      try {
        tracker = WriteTracker.adopt(task.pid, fd);
      } catch {
        continue;
      }
      trackers.set(task.pid, tracker);
      task.injecting(task.pid, { scratch: false }, (inj) => inj.raw(SYS.close, fd));
    }
  } catch (e) {
    for (const t of trackers.values()) t.close();
    throw e;
  } finally {
    releaseTree(tree);
  }
  return { parentDir: prevDir, parent, parentPages: pagesByPid(parent), trackers };
}

/** Ends the tracking: whatever became of the dump, the tree runs on untracked. */
export function endTracking(inc: Incremental): void {
  for (const t of inc.trackers.values()) t.close();
  inc.trackers.clear();
}

/** Points DIR at its parent the way CRIU does: a `parent` symlink, relative where it was given so. */
export function linkParent(dir: string, prevDir: string, given: string): void {
  const link = path.join(dir, PARENT_LINK);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(path.isAbsolute(given) ? prevDir : path.relative(dir, prevDir), link);
}

function holdsPrivateData(kind: VmaKind): boolean {
  return kind === VmaKind.ANON_PRIVATE || kind === VmaKind.FILE_PRIVATE || kind === VmaKind.ANON_SHARED;
}

function inRanges(ranges: AddressRange[], addr: number): boolean {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (addr < Number(r.start)) hi = mid - 1;
    else if (addr >= Number(r.end)) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The page runs an incremental dump of PID copies, out of FULL (what a whole dump would copy).
 * A page is left to the parent only when the parent has it, it is present now, its mapping has
 * been tracked without a break since the pre-dump (munmap+mmap, mremap, exec and fork drop the
 * registration), and it was not written since. Every other page of the parent that lies in a
 * mapping now is copied as it is now (zeros after MADV_DONTNEED, a new mapping's contents), so
 * that no stale parent page shows through: the restorer lays the parent's pages first.
 */
export function* incrementalRuns(pid: number, vmas: Vma[], full: Iterable<{ start: bigint; end: bigint }>, inc: Incremental, runLimit: number): Generator<{ start: bigint; end: bigint }> {
  const tracker = inc.trackers.get(pid);
  const tracked = tracker ? trackedRanges(pid) : [];
  // Write-protect markers read as swapped: no page is there, nothing to copy or to keep.
  const empty = markerPages(pid, tracked);
  const wanted = new Set<number>();
  for (const r of full) for (let a = Number(r.start); a < Number(r.end); a += PAGE) if (!empty.has(a / PAGE)) wanted.add(a / PAGE);
  const present = new Set(wanted);
  const mapped: AddressRange[] = vmas.filter((v) => holdsPrivateData(v.kind)).map((v) => ({ start: v.start, end: v.end }));
  const parent = inc.parentPages.get(pid) ?? new Set<number>();
  const written = new Set<number>();
  if (tracker) for (const r of tracker.scan(tracked)) for (let a = Number(r.start); a < Number(r.end); a += PAGE) written.add(a / PAGE);
  for (const page of parent) {
    const addr = page * PAGE;
    if (!inRanges(mapped, addr)) continue;
    const unchanged = present.has(page) && !written.has(page) && inRanges(tracked, addr);
    if (unchanged) wanted.delete(page);
    else wanted.add(page);
  }
  const pages = [...wanted].sort((a, b) => a - b);
  const limit = runLimit / PAGE;
  // A run stays inside one mapping, as the restorer requires of a page record.
  const ends = vmas.map((v) => Number(v.end) / PAGE).sort((a, b) => a - b);
  const endOf = (page: number) => {
    let lo = 0, hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! > page) hi = mid; else lo = mid + 1;
    }
    return ends[lo];
  };
  for (let i = 0; i < pages.length; ) {
    let j = i + 1;
    const end = endOf(pages[i]!);
    while (j < pages.length && pages[j] === pages[j - 1]! + 1 && pages[j]! < end! && j - i < limit) j++;
    yield { start: BigInt(pages[i]! * PAGE), end: BigInt((pages[j - 1]! + 1) * PAGE) };
    i = j;
  }
}
