import type { FileHandle } from 'node:fs/promises';
import { MAX_FRAME_BYTES } from './limits.js';

// A record file is a sequence of frames: [u32 LE length][that many bytes of an encoded Record].

const LENGTH_BYTES = 4;

export function frameLength(recordBytes: number): number {
  return LENGTH_BYTES + recordBytes;
}

/** Writes one frame into `target` at `at`; returns where the next one goes. */
export function writeFrame(record: Uint8Array, target: Buffer, at: number): number {
  if (record.length > MAX_FRAME_BYTES) throw new RangeError(`a record of ${record.length} bytes is over the ${MAX_FRAME_BYTES}-byte frame limit`);
  target.writeUInt32LE(record.length, at);
  target.set(record, at + LENGTH_BYTES);
  return at + LENGTH_BYTES + record.length;
}

export function frame(record: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frameLength(record.length));
  writeFrame(record, out, 0);
  return out;
}

/** A framing problem; `offset` is where the bad frame starts in the file. */
export class FrameError extends Error {
  override name = 'FrameError';
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

export interface Frame {
  /** Byte offset of the frame (its length prefix) in the file. */
  readonly offset: number;
  readonly bytes: Buffer;
}

/**
 * The frames of a file, read in large chunks rather than a read per frame. Every chunk is a
 * fresh buffer, so a frame's bytes stay valid after the iteration moves on.
 */
export async function* readFrames(file: FileHandle, chunkBytes = 8 << 20): AsyncGenerator<Frame> {
  // Small files get small buffers: an 8 MiB allocation per read is what costs most otherwise.
  const size = (await file.stat()).size;
  let buffered = Buffer.alloc(0);
  let base = 0; // file offset of buffered[0]
  for (;;) {
    let at = 0;
    while (buffered.length - at >= LENGTH_BYTES) {
      const length = buffered.readUInt32LE(at);
      if (length > MAX_FRAME_BYTES) throw new FrameError(`invalid frame length ${length} at byte ${base + at} (the limit is ${MAX_FRAME_BYTES})`, base + at);
      const end = at + LENGTH_BYTES + length;
      if (end > buffered.length) break;
      yield { offset: base + at, bytes: buffered.subarray(at + LENGTH_BYTES, end) };
      at = end;
    }
    const rest = buffered.subarray(at);
    base += at;
    const needed = rest.length >= LENGTH_BYTES ? LENGTH_BYTES + rest.readUInt32LE(0) : LENGTH_BYTES;
    const chunk = Buffer.allocUnsafe(Math.max(needed, Math.min(chunkBytes, size - base)));
    rest.copy(chunk);
    const { bytesRead } = await file.read(chunk, rest.length, chunk.length - rest.length, base + rest.length);
    if (bytesRead === 0) {
      if (rest.length > 0) throw new FrameError(`truncated frame at byte ${base}`, base);
      return;
    }
    buffered = chunk.subarray(0, rest.length + bytesRead);
  }
}
