import { MAX_FRAME_BYTES } from '@ferry/proto';

/**
 * Joins the record stream's frames again: chunks are cut at any byte, so a frame may start in
 * one chunk and end several chunks later. Only the unfinished tail is kept.
 */
export class FrameAssembler {
  private pending = Buffer.alloc(0);

  /** The frames completed by CHUNK, their bodies only. */
  push(chunk: Buffer): Buffer[] {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Buffer[] = [];
    let at = 0;
    while (data.length - at >= 4) {
      const length = data.readUInt32LE(at);
      if (length > MAX_FRAME_BYTES) throw new Error(`invalid frame length ${length} (the limit is ${MAX_FRAME_BYTES})`);
      if (data.length - at - 4 < length) break;
      frames.push(data.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    // A copy of the tail: CHUNK belongs to the NATS client.
    this.pending = Buffer.from(data.subarray(at));
    data = Buffer.alloc(0);
    return frames;
  }

  /** Whether the stream so far ends on a frame boundary. */
  get complete(): boolean {
    return this.pending.length === 0;
  }
}
