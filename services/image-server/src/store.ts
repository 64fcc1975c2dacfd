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

export class CheckpointStore {
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
    const trash = path.join(this.root, `${TRASH_PREFIX}${checkpointId}`);
    await fs.rename(this.dirOf(checkpointId), trash);
    await fs.rm(trash, { recursive: true, force: true });
  }

  async read(checkpointId: string, part: Part, offset: number, length: number): Promise<Buffer> {
    const fh = await fs.open(this.fileOf(checkpointId, part), 'r');
    try {
      const data = Buffer.allocUnsafe(length);
      const n = await readFully(fh, data, length, offset);
      return data.subarray(0, n);
    } finally {
      await fh.close();
    }
  }
}
