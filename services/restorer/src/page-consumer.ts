import fs from 'node:fs';
import { punchHole } from '@ferry/sys';

/**
 * Frees a disposable page store as its pages move into the tasks: each range a task has read is
 * punched out of the file once the digest check has passed it. The freed memory is what the next
 * pages land in, and a restore otherwise needs twice its pages. The task punches what it has just
 * read itself when the check is already past it (checkedPast): pages freed on the task's own CPU
 * are the ones its next faults take, where pages freed by this process, on another CPU, were not;
 * in this VM memory the host took back costs a host fault on first touch (a 2 GiB fill ran at
 * 0.7 GB/s into such memory, 1.65 GB/s into memory punched just ahead, in a C probe).
 */
export class PageConsumer {
  private readonly fd: number;
  private pending: [number, number][] = [];

  constructor(file: string, private readonly checkedUpTo: () => number) {
    this.fd = fs.openSync(file, 'r+');
  }

  /** Bytes punched out so far. */
  freedBytes = 0;

  /** Whether the check has passed everything before TO: a task may punch out what it read there. */
  checkedPast(to: number): boolean {
    return this.checkedUpTo() >= to;
  }

  /** A task punched out [FROM, TO) itself. */
  punchedByTask(from: number, to: number): void {
    this.freedBytes += to - from;
  }

  /** The tasks hold [FROM, TO) of the page store now. */
  consumed(from: number, to: number): void {
    this.pending.push([from, to]);
    this.free(this.checkedUpTo());
  }

  /** The whole check has passed: what the fill got ahead of it goes too. */
  checked(): void {
    this.free(Infinity);
  }

  private free(upTo: number): void {
    this.pending = this.pending.filter(([from, to]) => {
      if (to > upTo) return true;
      punchHole(this.fd, from, to - from);
      this.freedBytes += to - from;
      return false;
    });
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
