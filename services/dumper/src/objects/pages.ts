import fs from 'node:fs';
import type { RecordSink, Vma } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import type { ProcMem } from '@ferry/sys';
import type { DumpContext, TaskCollector } from '../collector.js';
import { vmasOf } from './vma.js';
import { incrementalRuns, type Incremental } from '../incremental.js';

const PAGE = 4096;
// Flags of a pagemap entry, in its upper 32 bits: read as a number, not a BigInt per page (2 GiB
// is half a million entries, on the thread that also sends the pages).
const PRESENT = 0x80000000;
const SWAPPED = 0x40000000;
const FILE_OR_SHARED = 0x20000000;
const PAGEMAP_CHUNK = 65536;          // entries per pagemap read (512 KiB)
// Bytes per page record: at 8 MiB the per-run work (pagemap walk turns, a record, a crc message,
// promise turns) halved against 4 MiB, and the 2 GiB migration streamed 1.33-1.45 GB/s, not 1.18-1.35.
const RUN_LIMIT = 8 << 20;

/** Which pages of a VMA hold data that only the process has (the rest comes back by itself). */
function wanted(kind: VmaKind, flags: number): boolean {
  // A segment's page may be in memory without being in this task's page tables (another task
  // touched it, or none does now): every page an attach maps is read.
  if (kind === VmaKind.SYSV_SHM) return true;
  if (kind === VmaKind.FILE_PRIVATE) return (flags & SWAPPED) !== 0 || ((flags & PRESENT) !== 0 && (flags & FILE_OR_SHARED) === 0);
  return (flags & (PRESENT | SWAPPED)) !== 0;
}

function hasPrivateData(kind: VmaKind): boolean {
  return kind === VmaKind.ANON_PRIVATE || kind === VmaKind.FILE_PRIVATE || kind === VmaKind.ANON_SHARED || kind === VmaKind.SYSV_SHM;
}

/** Runs of pages [start, end) to dump, found through /proc/PID/pagemap. */
export function* pageRuns(pid: number, vmas: Vma[], skip: (v: Vma) => boolean): Generator<{ start: bigint; end: bigint }> {
  const fd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  const buf = Buffer.alloc(PAGEMAP_CHUNK * 8);
  try {
    for (const vma of vmas) {
      if (!hasPrivateData(vma.kind) || skip(vma)) continue;
      // User addresses fit a double exactly (47 bits).
      const end = Number(vma.end);
      let runStart = -1;
      for (let addr = Number(vma.start); addr < end; ) {
        const count = Math.min((end - addr) / PAGE, PAGEMAP_CHUNK);
        const got = fs.readSync(fd, buf, 0, count * 8, (addr / PAGE) * 8);
        if (got !== count * 8) throw new Error(`short read of /proc/${pid}/pagemap`);
        for (let i = 0; i < count; i++, addr += PAGE) {
          const take = wanted(vma.kind, buf.readUInt32LE(i * 8 + 4));
          if (take && runStart < 0) runStart = addr;
          else if (!take && runStart >= 0) {
            yield { start: BigInt(runStart), end: BigInt(addr) };
            runStart = -1;
          }
          if (runStart >= 0 && addr + PAGE - runStart >= RUN_LIMIT) {
            yield { start: BigInt(runStart), end: BigInt(addr + PAGE) };
            runStart = -1;
          }
        }
      }
      if (runStart >= 0) yield { start: BigInt(runStart), end: vma.end };
    }
  } finally {
    fs.closeSync(fd);
  }
}

let buffersOfThisProcess: Buffer[] | null = null;

/**
 * The same two buffers serve every task of every dump this process makes: fresh ones per task
 * cost page faults and garbage collection that showed as a third of the dump time of a tree.
 * Tasks are dumped one after the other, so they never share them at once.
 */
function runBuffers(): Buffer[] {
  // Shared memory: a sink may sum a run on another thread while it sends it.
  buffersOfThisProcess ??= [Buffer.from(new SharedArrayBuffer(RUN_LIMIT)), Buffer.from(new SharedArrayBuffer(RUN_LIMIT))];
  return buffersOfThisProcess;
}

/**
 * Copies the pages into the sink. Two buffers alternate so that reading the next run from the
 * task overlaps with storing the previous one. Shared anonymous memory is dumped once, by the
 * first task of the dump that maps it (`shmDumped` remembers which), and so is each part of a
 * System V segment that attaches map.
 */
export async function dumpPages(pid: number, vmas: Vma[], mem: ProcMem, sink: RecordSink, shmDumped: Set<string>, incremental?: Incremental): Promise<bigint> {
  // A System V attach may map only part of its segment: what an earlier task dumped counts only for the same part.
  const sharedKey = (v: Vma) => (v.kind === VmaKind.SYSV_SHM ? `sysv:${v.shmid}:${v.pgoff}:${v.end - v.start}` : `shmem:${v.shmid}`);
  const isShared = (v: Vma) => v.kind === VmaKind.ANON_SHARED || v.kind === VmaKind.SYSV_SHM;
  const skip = (v: Vma) => isShared(v) && shmDumped.has(sharedKey(v));
  const buffers = runBuffers();
  let which = 0;
  let pending: Promise<void> = Promise.resolve();
  let total = 0n;
  const runs = incremental ? incrementalRuns(pid, vmas, pageRuns(pid, vmas, skip), incremental, RUN_LIMIT) : pageRuns(pid, vmas, skip);
  for (const run of runs) {
    const length = Number(run.end - run.start);
    const buf = buffers[which]!;
    which ^= 1;
    await mem.readAsync(run.start, length, buf);
    await pending;
    pending = sink.putPages(pid, run.start, buf.subarray(0, length));
    // Awaited after the next read: a failure meanwhile (a remote sink losing its server) must not
    // count as an unhandled rejection and kill the dumper before it releases the tree.
    pending.catch(() => {});
    total += BigInt(length);
  }
  await pending;
  for (const v of vmas) if (isShared(v)) shmDumped.add(sharedKey(v));
  return total;
}

/** Per dump: the shared memory (shmem inode, or System V id and part) a task of it has dumped already. */
const sharedDumped = new WeakMap<DumpContext, Set<string>>();

export const pagesCollector: TaskCollector = {
  name: 'pages',
  async collect(task, dump, sink) {
    let shmDumped = sharedDumped.get(dump);
    if (!shmDumped) sharedDumped.set(dump, (shmDumped = new Set()));
    const started = performance.now();
    const bytes = await dumpPages(task.pid, vmasOf(task), task.mem, sink, shmDumped, dump.incremental);
    dump.pages.bytes += bytes;
    dump.pages.ms += performance.now() - started;
    return `${bytes} bytes of pages`;
  },
};
