import type { Pages } from '@ferry/proto';
import { SYS, AT_FDCWD, runEach } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { PageConsumer } from '../page-consumer.js';

const IOV_MAX = 1024;
const BATCH_BYTES = 64n << 20n;
const O_RDONLY_CLOEXEC = 0o2000000;
const O_RDWR_CLOEXEC = 0o2000002;
const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

/**
 * The task reads its pages straight from the page store with injected preadv: the kernel copies
 * them into place, so no page passes through ferry. Records apply in stream order, so a later
 * record for a page wins, as the stream's rules say. Records that follow each other in the store
 * go in one preadv. CONSUMER frees what the task has read, when the page store is disposable.
 */
export function fillPages(task: RestoringTask, pages: Pages[], pageStorePath: string, consumer?: PageConsumer): void {
  if (pages.length === 0) return;
  const inj = task.injector;
  inj.resetScratch();
  const storePath = inj.putString(pageStorePath);
  // Read-write when the store is disposable, so that the task punches out what it has read (see
  // PageConsumer); read-only if that is refused, and this process punches.
  const readWrite = consumer ? inj.raw(SYS.openat, AT_FDCWD, storePath, O_RDWR_CLOEXEC, 0) : -1n;
  const fd = readWrite >= 0n ? readWrite : inj.call('open of the page store', SYS.openat, AT_FDCWD, storePath, O_RDONLY_CLOEXEC, 0);
  try {
    const reads = preadvs(pages);
    if (!consumer) {
      // Nothing to free after each read: all of them go in tables of injected calls.
      const results = runEach(inj, reads.map((r) => ({ name: 'preadv of pages', nr: SYS.preadv, args: [fd, { data: r.iov }, r.iov.length / 16, r.from, 0] })));
      results.forEach((res, i) => checkRead(res.ret, reads[i]!.from, reads[i]!.to));
      return;
    }
    for (const r of reads) {
      inj.resetScratch();
      checkRead(inj.call('preadv of pages', SYS.preadv, fd, inj.put(r.iov), r.iov.length / 16, r.from, 0), r.from, r.to);
      if (readWrite >= 0n) freeRead(task, fd, consumer, Number(r.from), Number(r.to));
      else consumer.consumed(Number(r.from), Number(r.to));
    }
  } finally {
    inj.raw(SYS.close, fd);
  }
}

function checkRead(got: bigint, from: bigint, to: bigint): void {
  if (got !== to - from) throw new Error(`short read of the page store at ${from}: ${got} of ${to - from} bytes`);
}

/** One preadv per run of records that follow each other in the store (within IOV_MAX and BATCH_BYTES). */
function preadvs(pages: Pages[]): { iov: Buffer; from: bigint; to: bigint }[] {
  const reads: { iov: Buffer; from: bigint; to: bigint }[] = [];
  for (let i = 0; i < pages.length; ) {
    const first = pages[i]!;
    const iov: Buffer[] = [];
    let end = first.offset;
    while (i < pages.length && iov.length < IOV_MAX && pages[i]!.offset === end && end - first.offset < BATCH_BYTES) {
      const p = pages[i]!;
      const entry = Buffer.alloc(16);
      entry.writeBigUInt64LE(p.vaddr, 0);
      entry.writeBigUInt64LE(BigInt(p.npages) * 4096n, 8);
      iov.push(entry);
      end += BigInt(p.npages) * 4096n;
      i++;
    }
    reads.push({ iov: Buffer.concat(iov), from: first.offset, to: end });
  }
  return reads;
}

function freeRead(task: RestoringTask, fd: bigint, consumer: PageConsumer, from: number, to: number): void {
  const punched = consumer.checkedPast(to) && task.injector.raw(SYS.fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, to - from) === 0n;
  if (punched) consumer.punchedByTask(from, to);
  else consumer.consumed(from, to);
}
