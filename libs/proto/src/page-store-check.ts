import fs from 'node:fs/promises';
import { crc32 } from '@ferry/sys/crc32';
import { readFully } from './file-io.js';
import { ImageError } from './image-error.js';
import type { Pages } from './generated/messages.js';
import { describePages, PAGES_FILE, pagesLength } from './local-layout.js';

export interface PageRun {
  readonly seq: number;
  readonly pages: Pages;
}

const CHUNK_BYTES = 8 << 20;

/**
 * Checks the page store against its pages records: every run inside the file, the file exactly as
 * long as the commit says, every run's crc32. The file is read once, front to back, in large
 * chunks with the next one read ahead, so memory stays at two chunks whatever the image size.
 * ON_CHECKED hears, after each run, that every byte before UP_TO has passed.
 */
export async function verifyPageStore(file: string, runs: readonly PageRun[], pageBytes: bigint, onChecked?: (upTo: number) => void): Promise<void> {
  const fh = await fs.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    checkPageStoreSize(size, runs, pageBytes);

    const reader = new ChunkReader(fh, size);
    const sorted = [...runs].sort((a, b) => (a.pages.offset < b.pages.offset ? -1 : a.pages.offset > b.pages.offset ? 1 : 0));
    for (const { seq, pages } of sorted) {
      let pos = Number(pages.offset);
      const end = pos + pagesLength(pages);
      let crc = 0;
      while (pos < end) {
        if (pos < reader.start || pos >= reader.start + reader.length) await reader.moveTo(pos);
        const n = Math.min(end, reader.start + reader.length) - pos;
        crc = crc32(reader.data.subarray(pos - reader.start, pos - reader.start + n), crc);
        pos += n;
      }
      if (crc !== pages.crc32) throw new ImageError(`${PAGES_FILE}: crc mismatch in ${describePages(pages, seq)}`);
      onChecked?.(end);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The part of the check that needs only the file's size: every run inside the file, and the file
 * exactly as long as the commit says. Cheap enough to do before anything is restored, even when
 * the digests are checked later.
 */
export function checkPageStoreSize(size: number, runs: readonly PageRun[], pageBytes: bigint): void {
  for (const { seq, pages } of runs) {
    if (pages.offset + BigInt(pagesLength(pages)) > BigInt(size)) throw new ImageError(`${PAGES_FILE}: record ${seq} points past the end of the page store`);
  }
  if (BigInt(size) !== pageBytes) throw new ImageError(`${PAGES_FILE}: ${size} bytes long, but the commit counts ${pageBytes} bytes of pages`);
}

/** A window on the file that reads the next chunk while the current one is being used. */
class ChunkReader {
  start = 0;
  length = 0;
  data: Buffer;
  private readonly spare: Buffer[];
  private ahead?: { position: number; buffer: Buffer; read: Promise<number> };

  private readonly chunkBytes: number;

  constructor(private readonly file: fs.FileHandle, private readonly size: number) {
    this.chunkBytes = Math.min(CHUNK_BYTES, size);
    this.data = Buffer.allocUnsafe(this.chunkBytes);
    this.spare = [Buffer.allocUnsafe(this.chunkBytes)];
  }

  async moveTo(position: number): Promise<void> {
    const ahead = this.ahead;
    this.ahead = undefined;
    let buffer: Buffer;
    let length: number;
    if (ahead && ahead.position === position) {
      buffer = ahead.buffer;
      length = await ahead.read;
    } else {
      if (ahead) {
        await ahead.read.catch(() => 0); // its buffer must not be written to by a stray read
        this.spare.push(ahead.buffer);
      }
      buffer = this.spare.pop()!;
      length = await readFully(this.file, buffer, Math.min(this.chunkBytes, this.size - position), position);
    }
    if (length === 0) throw new ImageError(`${PAGES_FILE}: shrank while being read`);
    this.spare.push(this.data);
    this.data = buffer;
    this.start = position;
    this.length = length;
    const next = position + length;
    if (next < this.size) {
      const spare = this.spare.pop()!;
      this.ahead = { position: next, buffer: spare, read: readFully(this.file, spare, Math.min(this.chunkBytes, this.size - next), next) };
      this.ahead.read.catch(() => {}); // awaited (or dropped) by the next moveTo
    }
  }
}
