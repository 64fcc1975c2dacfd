import fs from 'node:fs/promises';
import { writeAll } from '@ferry/proto';
import { giveBackRoom, makeRoom } from '@ferry/sys';
import type { PageTarget } from './page-listener.js';
import { SpliceReceiver } from './splice-receive.js';

export interface PageFileOptions {
  /**
   * Whether an ack means "on disk": the image server's copy must survive it, a target host's
   * scratch copy (restored from moments later, gone with its agent anyway) need not.
   */
  sync: boolean;
  /** Told once when the stream breaks before it was finished. */
  onBroken?: (why: string) => void;
  /**
   * About how many bytes will come: their room is made at once (before the dump freezes the tree,
   * as the stream is offered; see makeRoom), so that writing them costs a copy and no allocation.
   */
  expectedBytes?: number;
}

/**
 * A page stream's bytes stored into one file at the offsets the frames name. Frames must come in
 * order (the stream is TCP): a gap or overlap is refused, so the file is always a prefix.
 */
export class PageFile implements PageTarget {
  private end = 0;
  private queue: Promise<void> = Promise.resolve();
  private failure?: Error;
  private over = false;
  private room = 0;
  private readonly receiver = new SpliceReceiver();
  private stopSplice?: () => void;
  private spliced?: () => number;

  private constructor(readonly path: string, private readonly fh: fs.FileHandle, private readonly o: PageFileOptions) {}

  /** Creates FILE (it must not exist). */
  static async create(file: string, o: PageFileOptions): Promise<PageFile> {
    const fh = await fs.open(file, 'wx');
    const pages = new PageFile(file, fh, o);
    if (o.expectedBytes) pages.room = await makeRoom(fh, file, o.expectedBytes);
    return pages;
  }

  /** Bytes stored so far. */
  get bytes(): number {
    return this.spliced?.() ?? this.end;
  }

  write(offset: number, data: Buffer): { written: Promise<void>; durable: Promise<void> } {
    const written = (this.queue = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      if (offset !== this.end) throw (this.failure = new Error(`pages at byte ${offset}, expected byte ${this.end}: a frame was lost`));
      await writeAll(this.fh, data, offset);
      this.end += data.length;
    }));
    const durable = this.o.sync ? written.then(() => this.fh.datasync()) : written;
    return { written, durable };
  }

  /**
   * Receives the stream on SOCKET_FD itself, spliced into the file (see splice-receive.ts); once
   * per file, before any write. Undefined when it cannot: the listener reads the socket then.
   */
  receiveFrom(socketFd: number): Promise<string> | undefined {
    if (this.over || this.stopSplice || this.end !== 0) return undefined;
    const stream = this.receiver.start(socketFd, this.fh.fd, this.end, this.o.sync, (end) => (this.end = end));
    if (!stream) return undefined;
    this.stopSplice = stream.stop;
    this.spliced = stream.written;
    // close() waits for the worker to let go of the file.
    this.queue = this.queue.then(() => stream.done.then(() => {}));
    return stream.done;
  }

  broken(why: string): void {
    if (this.over) return;
    this.over = true;
    this.o.onBroken?.(why);
  }

  /** Waits for the writes under way, then closes; the stream counts as finished from here. */
  async close(): Promise<void> {
    this.over = true;
    this.stopSplice?.();
    this.receiver.dispose();
    await this.queue.catch(() => {});
    // Room made for pages that did not come (the estimate counts file pages that are not dumped).
    await giveBackRoom(this.fh, this.room, this.end);
    await this.fh.close();
  }
}
