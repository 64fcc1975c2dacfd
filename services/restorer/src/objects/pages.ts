import type { Pages } from '@ferry/proto';
import { SYS, AT_FDCWD } from '@ferry/sys';
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
      inj.resetScratch();
      const iovAddr = inj.put(Buffer.concat(iov));
      const got = inj.call('preadv of pages', SYS.preadv, fd, iovAddr, iov.length, first.offset, 0);
      if (got !== end - first.offset) throw new Error(`short read of the page store at ${first.offset}: ${got} of ${end - first.offset} bytes`);
      if (consumer && readWrite >= 0n) freeRead(task, fd, consumer, Number(first.offset), Number(end));
      else consumer?.consumed(Number(first.offset), Number(end));
    }
  } finally {
    inj.raw(SYS.close, fd);
  }
}

function freeRead(task: RestoringTask, fd: bigint, consumer: PageConsumer, from: number, to: number): void {
  const punched = consumer.checkedPast(to) && task.injector.raw(SYS.fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, from, to - from) === 0n;
  if (punched) consumer.punchedByTask(from, to);
  else consumer.consumed(from, to);
}
