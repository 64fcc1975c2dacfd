import fs from 'node:fs';
import { addressOf } from './libc.js';
import { checkedSyscall, O_CLOEXEC, O_NONBLOCK } from './fcntl.js';
import { copyFdOf } from './pidfd.js';
import { readSmaps } from './proc/maps.js';
import { SYS } from './syscalls.js';
import type { Injector } from './inject.js';

// Kernel uapi values (include/uapi/linux/userfaultfd.h and fs.h of 6.7+): the headers installed
// here predate UFFD_FEATURE_WP_ASYNC and PAGEMAP_SCAN, the running kernel (6.18) has both.
const SYS_userfaultfd = 323;
const UFFD_USER_MODE_ONLY = 1;
const UFFD_API = 0xaa;
const UFFD_FEATURE_WP_UNPOPULATED = 1n << 13n;
const UFFD_FEATURE_WP_ASYNC = 1n << 15n;
const UFFDIO_API = 0xc018aa3f;          // _IOWR(0xAA, 0x3F, struct uffdio_api{api, features, ioctls})
const UFFDIO_REGISTER = 0xc020aa00;     // _IOWR(0xAA, 0x00, struct uffdio_register{start, len, mode, ioctls})
const UFFDIO_REGISTER_MODE_WP = 2;
const PAGEMAP_SCAN = 0xc0606610;        // _IOWR('f', 16, struct pm_scan_arg), 96 bytes
const PM_SCAN_ARG_SIZE = 96;
const PM_SCAN_WP_MATCHING = 1;
const PM_SCAN_CHECK_WPASYNC = 2;
const PAGE_IS_WRITTEN = 2;
const PAGE_REGION_SIZE = 24;            // struct page_region{start, end, categories}
const REGIONS_PER_SCAN = 4096;
/** smaps VmFlags of a mapping registered for userfaultfd write-protect. */
const UFFD_WP_FLAG = 'uw';

export interface AddressRange {
  start: bigint;
  end: bigint;
}

/** The mappings write tracking covers: private, writable, anonymous (heap, stacks, malloc arenas). */
export function trackableRanges(pid: number): AddressRange[] {
  return readSmaps(pid)
    .filter((m) => m.perms[1] === 'w' && m.perms[3] === 'p' && m.inode === 0n && !m.path.startsWith('[v'))
    .map((m) => ({ start: m.start, end: m.end }));
}

/** The task's mappings still registered for write-protect now (mremap, munmap+mmap and fork drop it). */
export function trackedRanges(pid: number): AddressRange[] {
  return readSmaps(pid).filter((m) => m.vmFlags.includes(UFFD_WP_FLAG)).map((m) => ({ start: m.start, end: m.end }));
}

const PM_SWAP = 0x40000000;          // pagemap entry flags, upper 32 bits
const SWAP_TYPE_MASK = 0x1f;          // a swap entry's type, bits 0-4 of the entry

function swapDevices(): number {
  return fs.readFileSync('/proc/swaps', 'utf8').trim().split('\n').length - 1;
}

/**
 * Page numbers (address / 4096) in RANGES that pagemap shows as swapped but that hold nothing:
 * the markers write-protect leaves in page table entries never populated (WP_UNPOPULATED) or
 * emptied since (MADV_DONTNEED). Their swap type is beyond the swap devices there are.
 */
export function markerPages(pid: number, ranges: AddressRange[]): Set<number> {
  const out = new Set<number>();
  const devices = swapDevices();
  const fd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  const chunk = 65536;
  const buf = Buffer.alloc(chunk * 8);
  try {
    for (const r of ranges) {
      const end = Number(r.end) / 4096;
      for (let page = Number(r.start) / 4096; page < end; ) {
        const count = Math.min(end - page, chunk);
        const got = fs.readSync(fd, buf, 0, count * 8, page * 8);
        if (got !== count * 8) throw new Error(`short read of /proc/${pid}/pagemap`);
        for (let i = 0; i < count; i++, page++) {
          if ((buf.readUInt32LE(i * 8 + 4) & PM_SWAP) !== 0 && (buf.readUInt32LE(i * 8) & SWAP_TYPE_MASK) >= devices) out.add(page);
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/**
 * Makes a userfaultfd inside the stopped task INJ drives: a userfaultfd tracks the mm of the task
 * that creates it, so ferry cannot make it for another process. Returns the task's fd number.
 * Without CAP_SYS_PTRACE (vm.unprivileged_userfaultfd=0) only a user-mode-only one is allowed.
 */
export function createUffdInTask(inj: Injector): number {
  const flags = O_CLOEXEC | O_NONBLOCK;
  const full = inj.raw(SYS_userfaultfd, flags);
  if (full >= 0n) return Number(full);
  return Number(inj.call('userfaultfd', SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY));
}

function ioctl(what: string, fd: number, request: number, arg: Buffer): number {
  return checkedSyscall(what, SYS.ioctl, fd, request, Number(addressOf(arg)));
}

/**
 * Which pages of a process were written since the last look, without soft-dirty bits: its
 * writable anonymous mappings are registered for asynchronous userfaultfd write-protect, so the
 * kernel resolves each first write itself (the task never waits) and marks the page written;
 * PAGEMAP_SCAN reads the written pages and write-protects them again in the same call.
 * Writes by the kernel on the task's behalf (read(2) into its buffers) count too.
 */
export class WriteTracker {
  private pagemap: number;
  private closed = false;

  private constructor(readonly pid: number, readonly uffd: number) {
    this.pagemap = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  }

  /**
   * Arms tracking of RANGES of the stopped task INJ drives. The uffd ends held by ferry only when
   * KEEP_IN_TASK is not given; with it the task keeps a copy at fd KEEP_IN_TASK or above (the
   * number is in `taskFd`) so that tracking outlives this process, and `adopt` takes it back.
   */
  static arm(inj: Injector, ranges: AddressRange[], keepInTaskFrom?: number): WriteTracker {
    const created = createUffdInTask(inj);
    let taskFd = -1;
    let uffd: number;
    try {
      uffd = copyFdOf(inj.pid, created);
      if (keepInTaskFrom !== undefined) taskFd = Number(inj.call('fcntl(F_DUPFD_CLOEXEC) of the userfaultfd', SYS.fcntl, created, 1030, keepInTaskFrom));
    } finally {
      inj.raw(SYS.close, created);
    }
    const tracker = new WriteTracker(inj.pid, uffd);
    tracker.taskFd = taskFd;
    try {
      tracker.enable();
      for (const r of ranges) tracker.register(r);
      // Registering does not protect pages already present: this first scan does, and its answer
      // (everything present) is what the caller copies anyway.
      tracker.scan(ranges);
    } catch (e) {
      tracker.close();
      if (taskFd >= 0) inj.raw(SYS.close, taskFd);
      throw e;
    }
    return tracker;
  }

  /** The task's fd that keeps tracking alive between ferry commands, or -1. */
  taskFd = -1;

  /** Takes back the uffd a task holds at TASK_FD (see arm); the caller closes it in the task. */
  static adopt(pid: number, taskFd: number): WriteTracker {
    const uffd = copyFdOf(pid, taskFd);
    const link = fs.readlinkSync(`/proc/self/fd/${uffd}`);
    if (link !== 'anon_inode:[userfaultfd]') {
      fs.closeSync(uffd);
      throw new Error(`pid ${pid}: fd ${taskFd} is ${link}, not the userfaultfd of its pre-dump`);
    }
    const tracker = new WriteTracker(pid, uffd);
    tracker.taskFd = taskFd;
    return tracker;
  }

  private enable(): void {
    const api = Buffer.alloc(24);
    api.writeBigUInt64LE(BigInt(UFFD_API), 0);
    api.writeBigUInt64LE(UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED, 8);
    ioctl(`UFFDIO_API (WP_ASYNC) on the userfaultfd of pid ${this.pid}`, this.uffd, UFFDIO_API, api);
  }

  private register(r: AddressRange): void {
    const reg = Buffer.alloc(32);
    reg.writeBigUInt64LE(r.start, 0);
    reg.writeBigUInt64LE(r.end - r.start, 8);
    reg.writeBigUInt64LE(BigInt(UFFDIO_REGISTER_MODE_WP), 16);
    ioctl(`UFFDIO_REGISTER of pid ${this.pid} at 0x${r.start.toString(16)}`, this.uffd, UFFDIO_REGISTER, reg);
  }

  /**
   * The pages of RANGES written since the previous scan (or since arm), merged into ranges, and
   * write-protected again. RANGES must be tracked (see trackedRanges): the kernel refuses the
   * scan otherwise, rather than report an untracked mapping as clean.
   */
  scan(ranges: AddressRange[]): AddressRange[] {
    const out: AddressRange[] = [];
    const vec = Buffer.alloc(REGIONS_PER_SCAN * PAGE_REGION_SIZE);
    const arg = Buffer.alloc(PM_SCAN_ARG_SIZE);
    for (const r of ranges) {
      for (let at = r.start; at < r.end; ) {
        arg.fill(0);
        arg.writeBigUInt64LE(BigInt(PM_SCAN_ARG_SIZE), 0);
        arg.writeBigUInt64LE(BigInt(PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC), 8);
        arg.writeBigUInt64LE(at, 16);
        arg.writeBigUInt64LE(r.end, 24);
        arg.writeBigUInt64LE(addressOf(vec), 40);
        arg.writeBigUInt64LE(BigInt(REGIONS_PER_SCAN), 48);
        arg.writeBigUInt64LE(BigInt(PAGE_IS_WRITTEN), 72);   // category_mask
        arg.writeBigUInt64LE(BigInt(PAGE_IS_WRITTEN), 88);   // return_mask
        const n = ioctl(`PAGEMAP_SCAN of pid ${this.pid} at 0x${at.toString(16)}`, this.pagemap, PAGEMAP_SCAN, arg);
        for (let i = 0; i < n; i++) {
          const start = vec.readBigUInt64LE(i * PAGE_REGION_SIZE);
          const end = vec.readBigUInt64LE(i * PAGE_REGION_SIZE + 8);
          const last = out[out.length - 1];
          if (last && last.end === start) last.end = end;
          else out.push({ start, end });
        }
        const walkEnd = arg.readBigUInt64LE(32);
        if (walkEnd <= at) throw new Error(`PAGEMAP_SCAN of pid ${this.pid} made no progress at 0x${at.toString(16)}`);
        at = walkEnd;
      }
    }
    void vec;
    return out;
  }

  /** Idempotent. Closing ferry's copy ends tracking unless the task still holds one (taskFd). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.pagemap);
    fs.closeSync(this.uffd);
  }
}
