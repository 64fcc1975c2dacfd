import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from '@ferry/sys/crc32';
import { giveBackRoom, makeRoom } from '@ferry/sys/room';
import type { RecordEnvelope } from './envelope.js';
import { syncDir, writeAll } from './file-io.js';
import { FrameBuffer, type SinkState } from './frame-buffer.js';
import type { KindPayloads, PayloadKind } from './kind-payloads.js';
import type { Commit, Inventory } from './generated/messages.js';
import { PAGES_FILE, RECORDS_FILE } from './local-layout.js';
import { pagesRecordFor } from './pages-record.js';
import type { RecordSink } from './record-sink.js';
import { StreamWriter } from './stream-writer.js';

/** The inventory a dump starts with; the checkpoint id is made up when not given. */
export type LocalInventory = Omit<Inventory, 'checkpointId' | 'parentCheckpointId'> & { checkpointId?: string; parentCheckpointId?: string };

/** Small records are gathered up to this much before one write. */
const RECORD_BUFFER_BYTES = 1 << 20;

/**
 * Starts a checkpoint in DIR (created if missing): records.log gets the records, pages.img the
 * page bytes. Refuses a DIR that already holds an image. The inventory record is written first.
 */
export async function openLocalSink(dir: string, inventory: LocalInventory, o: { expectedPageBytes?: number } = {}): Promise<RecordSink> {
  const root = path.resolve(dir);
  // Validates the inventory before anything touches the disk.
  const writer = new StreamWriter({ ...inventory, checkpointId: inventory.checkpointId ?? randomUUID(), parentCheckpointId: inventory.parentCheckpointId ?? '' });
  const firstCreated = await fs.mkdir(root, { recursive: true });
  const createdDirs = firstCreated ? dirsBetween(firstCreated, root) : [];
  const removeCreatedDirs = () => removeEmptyDirs(createdDirs);
  let log: fs.FileHandle;
  try {
    log = await fs.open(path.join(root, RECORDS_FILE), 'wx');
  } catch (e) {
    await removeCreatedDirs();
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${root} already holds a checkpoint (${RECORDS_FILE} exists): dump into an empty directory`);
    throw e;
  }
  let pages: fs.FileHandle;
  try {
    pages = await fs.open(path.join(root, PAGES_FILE), 'wx');
  } catch (e) {
    await log.close();
    await fs.rm(path.join(root, RECORDS_FILE), { force: true });
    await removeCreatedDirs();
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${root} holds a ${PAGES_FILE} that is not part of any checkpoint: remove it or dump elsewhere`);
    throw e;
  }
  // Before the tree is frozen: storing its pages then costs a copy and no allocation.
  const room = o.expectedPageBytes && o.expectedPageBytes > 0 ? await makeRoom(pages, path.join(root, PAGES_FILE), o.expectedPageBytes) : 0;
  return new LocalSink(root, writer, log, pages, createdDirs, room);
}

class LocalSink implements RecordSink {
  readonly checkpointId: string;
  private state: SinkState = 'open';
  private failure?: Error;
  private readonly buffered = new FrameBuffer();
  // Space is reserved when a write is issued, so writes at known offsets may run side by side.
  private logEnd = 0;
  private pageEnd = 0;
  private readonly inflight = new Set<Promise<void>>();
  private filesOpen = true;

  constructor(
    private readonly dir: string,
    private readonly writer: StreamWriter,
    private readonly log: fs.FileHandle,
    private readonly pages: fs.FileHandle,
    private readonly createdDirs: readonly string[],
    /** Bytes of pages.img made ready before the first page came (see makeRoom). */
    private readonly room: number,
  ) {
    this.checkpointId = writer.checkpointId;
    this.buffer(writer.inventoryRecord);
  }

  async put<K extends PayloadKind>(kind: K, objectId: string, payload: KindPayloads[K]): Promise<void> {
    this.checkWritable();
    if ((kind as string) === 'pages') throw new Error('pages records are written by putPages');
    this.buffer(this.writer.add(kind, objectId, payload));
    await this.flushIfFull();
  }

  async putPages(pid: number, vaddr: bigint, data: Buffer): Promise<void> {
    this.checkWritable();
    const { objectId, pages } = pagesRecordFor(pid, vaddr, data.length, this.pageEnd);
    const offset = this.pageEnd;
    this.pageEnd += data.length;
    // Writes in pieces run side by side on libuv's threads, and the crc is computed meanwhile:
    // the copy into the page cache and the crc are the two costs of a page.
    const written = Promise.all(pieces(data.length).map(([from, to]) => writeAll(this.pages, data.subarray(from, to), offset + from)));
    const tracked = this.track(written.then(() => {}));
    pages.crc32 = crc32(data);
    this.buffer(this.writer.add('pages', objectId, pages));
    await Promise.all([tracked, this.flushIfFull()]);
  }

  async commit(): Promise<Commit> {
    this.checkWritable();
    this.state = 'committing';
    try {
      await this.flush();
      await this.settle();
      await giveBackRoom(this.pages, this.room, this.pageEnd);
      // The pages must be on disk before the record that vouches for them.
      await this.pages.sync();
      const { record, commit } = this.writer.commit();
      this.buffer(record);
      await this.flush();
      await this.settle();
      await this.log.sync();
      await this.closeFiles();
      await syncDir(this.dir);
      this.state = 'committed';
      return commit;
    } catch (e) {
      this.failure ??= e as Error;
      this.state = 'failed';
      throw e;
    }
  }

  async abort(): Promise<void> {
    if (this.state === 'committed') throw new Error(`${this.dir}: the checkpoint is committed; abort would delete a complete image`);
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    await Promise.allSettled([...this.inflight]);
    await this.closeFiles().catch(() => {});
    await fs.rm(path.join(this.dir, RECORDS_FILE), { force: true });
    await fs.rm(path.join(this.dir, PAGES_FILE), { force: true });
    await removeEmptyDirs(this.createdDirs);
  }

  private checkWritable(): void {
    if (this.failure) throw new Error(`${this.dir}: an earlier write failed: ${this.failure.message}`, { cause: this.failure });
    if (this.state !== 'open') throw new Error(`${this.dir}: the sink is ${this.state}`);
  }

  private buffer(record: RecordEnvelope): void {
    this.buffered.add(record);
  }

  private flushIfFull(): Promise<void> {
    return this.buffered.bytes >= RECORD_BUFFER_BYTES ? this.flush() : Promise.resolve();
  }

  private flush(): Promise<void> {
    if (this.buffered.bytes === 0) return Promise.resolve();
    const data = this.buffered.take();
    const at = this.logEnd;
    this.logEnd += data.length;
    return this.track(writeAll(this.log, data, at));
  }

  /** Remembers a write so commit and abort can wait for it; the first failure poisons the sink. */
  private track(work: Promise<void>): Promise<void> {
    const tracked = work.catch((e: Error) => {
      this.failure ??= e;
      throw e;
    });
    this.inflight.add(tracked);
    tracked.then(
      () => this.inflight.delete(tracked),
      () => this.inflight.delete(tracked),
    );
    return tracked;
  }

  private async settle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    if (this.failure) throw this.failure;
  }

  private async closeFiles(): Promise<void> {
    if (!this.filesOpen) return;
    this.filesOpen = false;
    await Promise.all([this.log.close(), this.pages.close()]);
  }
}

const WRITE_PIECE_BYTES = 1 << 20;

function pieces(length: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < length; from += WRITE_PIECE_BYTES) out.push([from, Math.min(length, from + WRITE_PIECE_BYTES)]);
  return out;
}

/** `from` and its descendants down to `to`, deepest first. */
function dirsBetween(from: string, to: string): string[] {
  const dirs: string[] = [];
  for (let d = to; d.length >= from.length; d = path.dirname(d)) {
    dirs.push(d);
    if (d === from) break;
  }
  return dirs;
}

/** Only what this sink created, and only if nothing else was put there meanwhile. */
async function removeEmptyDirs(dirs: readonly string[]): Promise<void> {
  for (const d of dirs) {
    try {
      await fs.rmdir(d);
    } catch {
      return;
    }
  }
}
