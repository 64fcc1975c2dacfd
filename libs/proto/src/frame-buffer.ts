import { encodeRecord, type RecordEnvelope } from './envelope.js';
import { frame } from './framing.js';

/** Where a sink is in its life; every sink goes through the same ones. */
export type SinkState = 'open' | 'committing' | 'committed' | 'failed' | 'aborted';

/** Records framed as a record file holds them, gathered until a sink writes or sends them at once. */
export class FrameBuffer {
  private frames: Buffer[] = [];
  private length = 0;

  add(record: RecordEnvelope): void {
    const f = frame(encodeRecord(record));
    this.frames.push(f);
    this.length += f.length;
  }

  get bytes(): number {
    return this.length;
  }

  /** Everything gathered, as one buffer; the buffer is empty afterwards. */
  take(): Buffer {
    const data = this.frames.length === 1 ? this.frames[0]! : Buffer.concat(this.frames, this.length);
    this.frames = [];
    this.length = 0;
    return data;
  }
}
