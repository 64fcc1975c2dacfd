import { USER_SPACE_END, VSYSCALL_ADDRESS } from '../limits.js';
import { checkAbsolutePath, checkPageAligned, checkPid, checkUserAddress, fail, hex } from './checks.js';

/** Values of vma.proto's Vma.Kind. */
export enum VmaKind {
  /** Heap, stack, private anonymous mmap, guard pages. */
  ANON_PRIVATE = 0,
  /** Program, libraries; changed pages are dumped. */
  FILE_PRIVATE = 1,
  /** The file holds the data. */
  FILE_SHARED = 2,
  /** shmem behind MAP_SHARED|MAP_ANONYMOUS; pages are dumped. */
  ANON_SHARED = 3,
  VDSO = 4,
  VVAR = 5,
  VVAR_VCLOCK = 6,
}

/** One mapping of /proc/PID/maps. Object id: "vma:PID:START(hex)". */
export interface Vma {
  pid: number;
  start: bigint;
  end: bigint;
  kind: VmaKind;
  /** PROT_READ | PROT_WRITE | PROT_EXEC. */
  prot: number;
  /** File offset in bytes. */
  pgoff: bigint;
  /** File mappings; "[heap]", "[stack]" for the named anonymous ones. */
  path: string;
  dev: bigint;
  ino: bigint;
  /** Size of the mapped file at dump time. */
  fileSize: bigint;
  growsdown: boolean;
  /** smaps VmFlags restored with madvise. */
  advice: string[];
  /** ANON_SHARED: the shmem inode, the same in every task that shares the memory. */
  shmid: bigint;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    vma: Vma;
  }
}

const PROT_ALL = 7;
/** The smaps VmFlags madvise can set again. */
export const RESTORABLE_ADVICE: ReadonlySet<string> = new Set(['dc', 'wf', 'dd', 'hg', 'nh', 'mg']);

export function validateVma(v: Vma): void {
  checkPid(v.pid, 'pid');
  if (v.start === VSYSCALL_ADDRESS) fail('the vsyscall page is never recorded: the kernel provides it');
  checkPageAligned(v.start, 'start');
  checkPageAligned(v.end, 'end');
  if (v.start >= v.end) fail(`start ${hex(v.start)} is not below end ${hex(v.end)}`);
  if (v.start >= USER_SPACE_END) fail(`start ${hex(v.start)} is beyond user space (${hex(USER_SPACE_END)})`);
  checkUserAddress(v.end, 'end');
  if (v.prot > PROT_ALL) fail(`prot ${v.prot} has bits beyond PROT_READ|PROT_WRITE|PROT_EXEC`);
  checkPageAligned(v.pgoff, 'pgoff');
  if (v.kind === VmaKind.FILE_PRIVATE || v.kind === VmaKind.FILE_SHARED) checkAbsolutePath(v.path, 'path');
  for (const a of v.advice) if (!RESTORABLE_ADVICE.has(a)) fail(`advice ${JSON.stringify(a)} is not one madvise restores`);
}
