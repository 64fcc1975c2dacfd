import fs from 'node:fs/promises';
import path from 'node:path';
import { PAGES_FILE, RECORDS_FILE, readFully, syncDir } from '@ferry/proto';
import { checkCheckpointId, type Part } from '@ferry/transport';
import type { CheckpointIndex } from './checkpoint-index.js';

/**
 * The checkpoints on disk. Each is DIR/<checkpointId>/ in the local image format (records.log,
 * pages.img), so a stored checkpoint is also a directory `ferry restore -D` and `ferry show` take
 * as it is, and replay is a plain copy of two files. index.json beside them is written last, at
 * commit, atomically: a directory without it is a stream that never committed, and is removed
 * when the server starts.
 */
export const INDEX_FILE = 'index.json';
const TRASH_PREFIX = '.deleting-';
/** How long a checkpoint read over NATS stays open after its last chunk. */
const READER_IDLE_MS = 5000;

/** A committed checkpoint being read: its index and files, opened once for all its chunks. */
interface Reader {
  index: Promise<CheckpointIndex | undefined>;
  files: Partial<Record<Part, Promise<fs.FileHandle>>>;
  /** Reads in progress; the idle timer runs only while there are none. */
  busy: number;
  timer?: NodeJS.Timeout;
}

export class CheckpointStore {
  private readonly readers = new Map<string, Reader>();

  constructor(readonly root: string) {}

  /** Creates the store, and drops what a previous run left unfinished: uncommitted streams and half-done deletes. */
  async open(): Promise<string[]> {
    await fs.mkdir(this.root, { recursive: true });
    const dropped: string[] = [];
    for (const name of await fs.readdir(this.root)) {
      if (name.startsWith(TRASH_PREFIX)) await fs.rm(path.join(this.root, name), { recursive: true, force: true });
      else if (!(await this.readIndex(name))) {
        await fs.rm(this.dirOf(name), { recursive: true, force: true });
        dropped.push(name);
      }
    }
    return dropped;
  }

  dirOf(checkpointId: string): string {
    checkCheckpointId(checkpointId);
    return path.join(this.root, checkpointId);
  }

  fileOf(checkpointId: string, part: Part): string {
    return path.join(this.dirOf(checkpointId), part === 'records' ? RECORDS_FILE : PAGES_FILE);
  }

  /** A new, empty checkpoint directory; refuses an id that is already taken. */
  async create(checkpointId: string): Promise<string> {
    const dir = this.dirOf(checkpointId);
    try {
      await fs.mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`checkpoint ${checkpointId} already exists`);
      throw e;
    }
    return dir;
  }

  /** Marks the checkpoint committed: index.json appears whole, and stays after a crash. */
  async commit(index: CheckpointIndex): Promise<void> {
    const dir = this.dirOf(index.checkpointId);
    const tmp = path.join(dir, `${INDEX_FILE}.tmp`);
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(index));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, path.join(dir, INDEX_FILE));
    await syncDir(dir);
    await syncDir(this.root);
  }

  async readIndex(checkpointId: string): Promise<CheckpointIndex | undefined> {
    try {
      return JSON.parse(await fs.readFile(path.join(this.dirOf(checkpointId), INDEX_FILE), 'utf8')) as CheckpointIndex;
    } catch {
      return undefined;
    }
  }

  async committed(): Promise<CheckpointIndex[]> {
    const out: CheckpointIndex[] = [];
    for (const name of await fs.readdir(this.root)) {
      if (name.startsWith(TRASH_PREFIX)) continue;
      const index = await this.readIndex(name);
      if (index) out.push(index);
    }
    return out;
  }

  /** Renamed away first, so it leaves the list at once even if removing a large one takes time. */
  async remove(checkpointId: string): Promise<void> {
    this.forgetReader(checkpointId);
    const trash = path.join(this.root, `${TRASH_PREFIX}${checkpointId}`);
    await fs.rename(this.dirOf(checkpointId), trash);
    await fs.rm(trash, { recursive: true, force: true });
  }

  /**
   * LENGTH bytes of a committed checkpoint's PART at OFFSET. A fetch over NATS asks for one chunk
   * at a time: reading index.json and opening the file again for each cost more than the read.
   */
  async read(checkpointId: string, part: Part, offset: number, length: number): Promise<Buffer> {
    let r = this.readers.get(checkpointId);
    if (!r) this.readers.set(checkpointId, (r = { index: this.readIndex(checkpointId), files: {}, busy: 0 }));
    r.busy++;
    clearTimeout(r.timer);
    try {
      const index = await r.index;
      if (!index) throw new Error(`no committed checkpoint ${checkpointId}`);
      if (part === 'pages' && index.pagesHeldBy) throw new Error(pagesHeldElsewhere(checkpointId, index.pagesHeldBy));
      const size = part === 'records' ? index.recordBytes : index.pageBytes;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw new Error(`bytes ${offset}+${length} are outside the ${size} bytes of ${part}`);
      }
      const fh = await (r.files[part] ??= fs.open(this.fileOf(checkpointId, part), 'r'));
      const data = Buffer.allocUnsafe(length);
      const n = await readFully(fh, data, length, offset);
      return data.subarray(0, n);
    } catch (e) {
      // Nothing failed is kept: the next read starts afresh.
      this.forgetReader(checkpointId);
      throw e;
    } finally {
      if (--r.busy === 0 && this.readers.get(checkpointId) === r) r.timer = setTimeout(() => this.forgetReader(checkpointId), READER_IDLE_MS).unref();
    }
  }

  /** Closes a reader; reads still in progress finish first (a FileHandle closes after its pending operations). */
  private forgetReader(checkpointId: string): void {
    const r = this.readers.get(checkpointId);
    if (!r) return;
    this.readers.delete(checkpointId);
    clearTimeout(r.timer);
    for (const f of Object.values(r.files)) void f.then((fh) => fh.close()).catch(() => {});
  }
}

export function pagesHeldElsewhere(checkpointId: string, host: string): string {
  return `checkpoint ${checkpointId} has no pages here: they went straight to host ${host} in its migration (the server stored its records only)`;
}
