import fs from 'node:fs';
import type { Vma } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import { readMaps, runEach, SYS, AT_FDCWD, type BatchCall, type MapEntry } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import { findFreeRange, overlaps, type Range } from '../address-space.js';
import { takeMappedFile } from './mapped-files.js';

const PROT_WRITE = 2;
const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x100;
const MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2;
const O_RDONLY = 0, O_RDWR = 2, O_CLOEXEC = 0o2000000;
const PROT_EXEC = 4, SHM_EXEC = 0o100000;
const SPECIAL: Record<string, VmaKind> = { '[vdso]': VmaKind.VDSO, '[vvar]': VmaKind.VVAR, '[vvar_vclock]': VmaKind.VVAR_VCLOCK };
const ADVICE: Record<string, number> = { dc: 10, wf: 18, dd: 16, hg: 14, nh: 15, mg: 12 }; // MADV_*

function isSpecial(kind: VmaKind): boolean {
  return kind === VmaKind.VDSO || kind === VmaKind.VVAR || kind === VmaKind.VVAR_VCLOCK;
}

/** Removes everything the stub left in the new task but the scratch page and the kernel's own mappings. */
function clearStubMappings(task: RestoringTask, maps: MapEntry[]): void {
  const scratch = { start: task.scratch.addr, end: task.scratch.addr + BigInt(task.scratch.size) };
  // One munmap per run of removable mappings (the gaps between them included): a call each
  // cost a fifth of a small task's restore.
  let run: Range | null = null;
  const calls: BatchCall[] = [];
  const flush = () => {
    if (run) calls.push({ name: `munmap of 0x${run.start.toString(16)}-0x${run.end.toString(16)}`, nr: SYS.munmap, args: [run.start, run.end - run.start] });
    run = null;
  };
  for (const m of [...maps].sort((a, b) => (a.start < b.start ? -1 : 1))) {
    if (m.path in SPECIAL || m.path === '[vsyscall]' || overlaps(m, scratch)) flush();
    else run = run ? { start: run.start, end: m.end } : { start: m.start, end: m.end };
  }
  flush();
  runEach(task.injector, calls);
}

/** vdso and vvar go where the image had them (code in the process may hold their addresses). */
function moveKernelMappings(task: RestoringTask, maps: MapEntry[], vmas: Vma[]): void {
  const scratch = { start: task.scratch.addr, end: task.scratch.addr + BigInt(task.scratch.size) };
  const moves = maps.filter((m) => m.path in SPECIAL).map((m) => {
    const target = vmas.find((v) => v.kind === SPECIAL[m.path]);
    if (!target) throw new Error(`the image has no ${m.path} mapping, but this kernel provides one`);
    if (target.end - target.start !== m.end - m.start) {
      throw new Error(`the image's ${m.path} is ${target.end - target.start} bytes, this kernel's is ${m.end - m.start}: restore on the kernel that made the image`);
    }
    return { from: m as Range, to: target as Range };
  });
  for (const v of vmas) {
    if (isSpecial(v.kind) && !moves.some((m) => m.to.start === v.start)) throw new Error(`this kernel has no mapping for the image's ${v.path}`);
  }
  // Park each in free space first: a target may overlap where another one sits now.
  const taken: Range[] = [...vmas, ...maps, scratch];
  const calls: BatchCall[] = [];
  const mremap = (from: bigint, size: bigint, to: bigint) => calls.push({ name: `mremap of 0x${from.toString(16)} to 0x${to.toString(16)}`, nr: SYS.mremap, args: [from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to] });
  for (const move of moves) {
    const size = move.from.end - move.from.start;
    const park = findFreeRange(taken, size);
    taken.push({ start: park, end: park + size });
    mremap(move.from.start, size, park);
    move.from = { start: park, end: park + size };
  }
  for (const move of moves) mremap(move.from.start, move.from.end - move.from.start, move.to.start);
  runEach(task.injector, calls);
}

function checkMappedFile(vma: Vma): void {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(vma.path, { bigint: true });
  } catch {
    throw new Error(`mapped file ${vma.path} is gone`);
  }
  if (st.size !== vma.fileSize) throw new Error(`mapped file ${vma.path} changed since the dump (size ${vma.fileSize}, now ${st.size})`);
}

/**
 * Empties the new task's address space but for the scratch page, and moves the kernel's mappings
 * to the image's addresses. The exe link can only change while no file of the stub is mapped,
 * so restoreMm runs between this and mapVmas.
 */
export function prepareAddressSpace(task: RestoringTask, vmas: Vma[]): void {
  const maps = readMaps(task.pid);
  clearStubMappings(task, maps);
  moveKernelMappings(task, maps, vmas);
}

/**
 * Creates every mapping of the image at its address. Mappings that will receive pages are made
 * writable until the pages are in (protectVmas sets the final protections).
 */
/** Shared anonymous memory already created in this restore, by shmem inode: who maps it where. */
export type SharedMemory = Map<bigint, { pid: number; start: bigint; end: bigint }>;

function mapSharedAnon(task: RestoringTask, v: Vma, prot: number, shared: SharedMemory): boolean {
  const first = shared.get(v.shmid);
  if (!first) {
    shared.set(v.shmid, { pid: task.pid, start: v.start, end: v.end });
    return false;
  }
  // The same shmem object as the first task's: open it through that task's map_files.
  const inj = task.injector;
  inj.resetScratch();
  const path = `/proc/${first.pid}/map_files/${first.start.toString(16)}-${first.end.toString(16)}`;
  const fd = inj.call(`open of shared memory ${path}`, SYS.openat, AT_FDCWD, inj.putString(path), O_RDWR | O_CLOEXEC, 0);
  try {
    inj.call(`mmap of shared memory at 0x${v.start.toString(16)}`, SYS.mmap, v.start, v.end - v.start, prot, MAP_SHARED | MAP_FIXED, fd, v.pgoff);
  } finally {
    inj.raw(SYS.close, fd);
  }
  return true;
}

/** System V segments' sizes by id: an attach maps the whole segment, which its mappings may cover only in part. */
export type SegmentSizes = ReadonlyMap<bigint, bigint>;

/**
 * Attaches each System V segment where the task had it (shmat maps it whole, read-write; the
 * mappings' own protections come in protectVmas), then unmaps what of it the task had unmapped.
 */
function attachSysvSegments(task: RestoringTask, vmas: Vma[], sizes: SegmentSizes): void {
  const attaches = new Map<string, Vma[]>();
  for (const v of vmas) {
    if (v.kind !== VmaKind.SYSV_SHM) continue;
    const base = v.start - v.pgoff;
    const key = `${v.shmid}:${base}`;
    attaches.set(key, [...(attaches.get(key) ?? []), v]);
  }
  const inj = task.injector;
  for (const parts of attaches.values()) {
    const first = parts[0]!;
    const base = first.start - first.pgoff;
    const size = sizes.get(first.shmid);
    if (size === undefined) throw new Error(`pid ${task.pid}: System V segment ${first.shmid} has no size in the image`);
    const exec = parts.some((v) => v.prot & PROT_EXEC) ? SHM_EXEC : 0;
    const at = inj.call(`shmat of System V segment ${first.shmid} at 0x${base.toString(16)}`, SYS.shmat, first.shmid, base, exec);
    if (at !== base) throw new Error(`pid ${task.pid}: System V segment ${first.shmid} was attached at 0x${at.toString(16)}, not 0x${base.toString(16)}`);
    const end = base + ((size + 4095n) / 4096n) * 4096n;
    let from = base;
    for (const v of [...parts, { start: end, end }]) {
      if (v.start > from) inj.call('munmap of a part of a System V attach', SYS.munmap, from, v.start - from);
      from = v.end;
    }
  }
}

export function mapVmas(task: RestoringTask, vmas: Vma[], receivesPages: (v: Vma) => boolean, shared: SharedMemory, opened: ReadonlyMap<string, number>, segmentSizes: SegmentSizes): void {
  const openFiles = new Map<string, bigint>();
  const inj = task.injector;
  // The mmaps go in one table at the end; the opens they need are made as they come.
  const mmaps: BatchCall[] = [];
  const mmap = (what: string, v: Vma, prot: number, flags: number, fd: bigint | number, pgoff: bigint | number) =>
    mmaps.push({ name: `mmap of ${what} at 0x${v.start.toString(16)}`, nr: SYS.mmap, args: [v.start, v.end - v.start, prot, flags, fd, pgoff] });
  try {
    attachSysvSegments(task, vmas, segmentSizes);
    for (const v of vmas) {
      if (isSpecial(v.kind) || v.kind === VmaKind.SYSV_SHM) continue;
      const prot = receivesPages(v) ? v.prot | PROT_WRITE : v.prot;
      if (v.kind === VmaKind.ANON_SHARED && shared.get(v.shmid)?.pid === task.pid) runEach(inj, mmaps.splice(0)); // its first mapping is one of those
      if (v.kind === VmaKind.ANON_SHARED && mapSharedAnon(task, v, prot, shared)) continue;
      if (v.kind === VmaKind.ANON_PRIVATE || v.kind === VmaKind.ANON_SHARED) {
        const flags = (v.kind === VmaKind.ANON_SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED | (v.growsdown ? MAP_GROWSDOWN : 0);
        mmap(v.path || 'anonymous memory', v, prot, flags, -1, 0);
        continue;
      }
      const sharedFile = v.kind === VmaKind.FILE_SHARED;
      const openFlags = (sharedFile && v.prot & PROT_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC;
      const key = v.fileId !== '' ? `file ${v.fileId}` : `${openFlags}:${v.path}`;
      let fd = openFiles.get(key);
      if (fd === undefined && v.fileId !== '') {
        fd = takeMappedFile(task, opened, v.fileId);
        openFiles.set(key, fd);
      } else if (fd === undefined) {
        checkMappedFile(v);
        inj.resetScratch();
        fd = inj.call(`open ${v.path}`, SYS.openat, AT_FDCWD, inj.putString(v.path), openFlags, 0);
        openFiles.set(key, fd);
      }
      mmap(v.path, v, prot, (sharedFile ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, v.pgoff);
    }
    runEach(inj, mmaps);
  } finally {
    for (const fd of openFiles.values()) inj.raw(SYS.close, fd);
  }
}

export function protectVmas(task: RestoringTask, vmas: Vma[], receivesPages: (v: Vma) => boolean): void {
  const calls: BatchCall[] = [];
  for (const v of vmas) {
    if (isSpecial(v.kind)) continue;
    if (v.kind === VmaKind.SYSV_SHM || (receivesPages(v) && !(v.prot & PROT_WRITE))) {
      calls.push({ name: 'mprotect', nr: SYS.mprotect, args: [v.start, v.end - v.start, v.prot] });
    }
    for (const a of v.advice) {
      if (ADVICE[a] !== undefined) calls.push({ name: `madvise(${a})`, nr: SYS.madvise, args: [v.start, v.end - v.start, ADVICE[a]!] });
    }
  }
  runEach(task.injector, calls);
}
