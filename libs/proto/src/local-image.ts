import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from '@ferry/sys/crc32';
import { readFully } from './file-io.js';
import { FrameError, readFrames } from './framing.js';
import { ImageError } from './image-error.js';
import type { KindName, KindPayloads } from './kind-payloads.js';
import type { Commit, Inventory, Pages } from './generated/messages.js';
import { describePages, PAGES_FILE, pagesLength, RECORDS_FILE } from './local-layout.js';
import { checkPageStoreSize, verifyPageStore, type PageRun } from './page-store-check.js';
import type { DecodedRecord, RecordSource } from './record-source.js';
import { StreamError, StreamVerifier } from './stream-verifier.js';

/** A local image directory, verified. */
export interface Image extends RecordSource {
  /** Absolute path of the image directory. */
  readonly dir: string;
  /** Absolute path of pages.img. */
  readonly pageStorePath: string;
  /** The pages records with their sequence numbers, in stream order. */
  readonly pageRuns: readonly PageRun[];
  /**
   * An incremental image's parent (the pre-dump its `parent` symlink names), verified as fully
   * as the image itself: pages the image does not carry come from it.
   */
  readonly parent?: Image;
}

/** The entry of an incremental image directory that names its parent image (CRIU's name). */
export const PARENT_LINK = 'parent';

export interface LoadOptions {
  /**
   * Leave the page digests to the caller (verifyPageStore with pageRuns), who must check them
   * before anything restored from the pages runs. The records, and the page store's length
   * against them, are checked all the same.
   */
  deferPageCheck?: boolean;
}

/**
 * Reads DIR and verifies all of it (framing, envelopes, chain, counts, every payload, every page's
 * crc32) before returning anything: a restore never starts from a damaged image. Throws ImageError.
 */
export async function loadLocalImage(dir: string, options: LoadOptions = {}): Promise<Image> {
  const root = path.resolve(dir);
  await checkIsDirectory(root);
  const records: DecodedRecord[] = [];
  const { inventory, commit } = await readRecords(root, records);
  const pageStorePath = path.join(root, PAGES_FILE);
  const runs: PageRun[] = [];
  for (const r of records) if (r.kind === 'pages') runs.push({ seq: r.seq, pages: r.payload });
  if (options.deferPageCheck) await checkPageStoreLength(pageStorePath, runs, commit.pageBytes);
  else await checkPageStore(pageStorePath, runs, commit.pageBytes);
  const parent = inventory.parentCheckpointId ? await loadParent(root, inventory.parentCheckpointId) : undefined;
  return new LocalImage(root, pageStorePath, inventory, commit, records, runs, parent);
}

/** The image ROOT's parent link names, checked whole and checked to be the one ROOT was dumped against. */
async function loadParent(root: string, expectedId: string): Promise<Image> {
  const link = path.join(root, PARENT_LINK);
  let target: string;
  try {
    target = await fs.readlink(link);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageError(`${link}: ${code === 'ENOENT' ? 'missing' : code === 'EINVAL' ? 'not a symlink' : (e as Error).message}; the image refers to parent checkpoint ${expectedId} for its pages`);
  }
  let parent: Image;
  try {
    parent = await loadLocalImage(path.resolve(root, target));
  } catch (e) {
    throw new ImageError(`parent image ${target} (of ${root}): ${(e as Error).message}`);
  }
  if (parent.checkpointId !== expectedId) throw new ImageError(`parent image ${target} (of ${root}) is checkpoint ${parent.checkpointId}, not ${expectedId} which the image was dumped against`);
  if ((parent as LocalImage).inventory.parentCheckpointId) throw new ImageError(`parent image ${target} (of ${root}) has a parent itself: chains of pre-dumps are not supported yet`);
  return parent;
}

/** verifyPageStore with file errors turned into ImageError. */
export async function checkPageStore(pageStorePath: string, runs: readonly PageRun[], pageBytes: bigint): Promise<void> {
  try {
    await verifyPageStore(pageStorePath, runs, pageBytes);
  } catch (e) {
    throw asImageError(e, PAGES_FILE, path.dirname(pageStorePath));
  }
}

/** The page store's length against the records (see checkPageStoreSize), from its size alone. */
async function checkPageStoreLength(pageStorePath: string, runs: readonly PageRun[], pageBytes: bigint): Promise<void> {
  try {
    checkPageStoreSize((await fs.stat(pageStorePath)).size, runs, pageBytes);
  } catch (e) {
    throw asImageError(e, PAGES_FILE, path.dirname(pageStorePath));
  }
}

async function checkIsDirectory(root: string): Promise<void> {
  let st;
  try {
    st = await fs.stat(root);
  } catch (e) {
    throw new ImageError((e as NodeJS.ErrnoException).code === 'ENOENT' ? `${root}: no such directory` : `${root}: ${(e as Error).message}`);
  }
  if (!st.isDirectory()) throw new ImageError(`${root}: not a directory`);
}

async function readRecords(root: string, into: DecodedRecord[]): Promise<{ inventory: Inventory; commit: Commit }> {
  let file: fs.FileHandle;
  try {
    file = await fs.open(path.join(root, RECORDS_FILE), 'r');
  } catch (e) {
    throw asImageError(e, RECORDS_FILE, root);
  }
  try {
    const verifier = new StreamVerifier();
    for await (const frame of readFrames(file)) into.push(verifier.accept(frame.bytes, `byte ${frame.offset}`));
    return verifier.finish();
  } catch (e) {
    if (e instanceof FrameError || e instanceof StreamError) throw new ImageError(`${RECORDS_FILE}: ${e.message}`);
    throw asImageError(e, RECORDS_FILE, root);
  } finally {
    await file.close();
  }
}

function asImageError(e: unknown, file: string, root: string): Error {
  if (e instanceof ImageError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ImageError(`${file}: missing from ${root}`);
  if (code) return new ImageError(`${file}: ${(e as Error).message}`);
  return e as Error;
}

class LocalImage implements Image {
  private readonly kinds = new Map<string, unknown[]>();
  private readonly pageSeq = new Map<Pages, number>();

  constructor(
    readonly dir: string,
    readonly pageStorePath: string,
    readonly inventory: Inventory,
    readonly commit: Commit,
    readonly records: readonly DecodedRecord[],
    readonly pageRuns: readonly PageRun[],
    readonly parent?: Image,
  ) {
    for (const r of records) {
      let list = this.kinds.get(r.kind);
      if (!list) this.kinds.set(r.kind, (list = []));
      list.push(r.payload);
    }
    for (const r of pageRuns) this.pageSeq.set(r.pages, r.seq);
  }

  get checkpointId(): string {
    return this.inventory.checkpointId;
  }

  byKind<K extends KindName>(kind: K): KindPayloads[K][] {
    // A copy: callers sort and filter, and the image stays as it was read.
    return [...((this.kinds.get(kind) ?? []) as KindPayloads[K][])];
  }

  async readPages(pages: Pages): Promise<Buffer> {
    const what = describePages(pages, this.pageSeq.get(pages));
    const length = pagesLength(pages);
    if (pages.offset + BigInt(length) > BigInt(Number.MAX_SAFE_INTEGER)) throw new ImageError(`${PAGES_FILE}: ${what} points past the end of the page store`);
    const file = await fs.open(this.pageStorePath, 'r').catch((e: unknown) => {
      throw asImageError(e, PAGES_FILE, this.dir);
    });
    try {
      const data = Buffer.allocUnsafe(length);
      if ((await readFully(file, data, length, Number(pages.offset))) !== length) throw new ImageError(`${PAGES_FILE}: ${what} points past the end of the page store`);
      // Checked again: the file may have changed since the image was loaded.
      if (crc32(data) !== pages.crc32) throw new ImageError(`${PAGES_FILE}: crc mismatch in ${what}`);
      return data;
    } finally {
      await file.close();
    }
  }
}
