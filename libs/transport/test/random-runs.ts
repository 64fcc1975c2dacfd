import { randomBytes } from 'node:crypto';
import type { PageStreamWriter } from '../src/page-stream.js';

/**
 * Sends ROUNDS times a run of random bytes of each of SIZES, from one scratch buffer refilled per
 * write as the dumper does (the stream may not keep a reference); returns everything sent, in order.
 */
export async function sendRandomRuns(writer: PageStreamWriter, sizes: number[], rounds: number): Promise<Buffer> {
  const scratch = Buffer.alloc(Math.max(...sizes));
  const sent: Buffer[] = [];
  let offset = 0;
  for (let round = 0; round < rounds; round++) {
    for (const size of sizes) {
      const data = randomBytes(size);
      sent.push(data);
      data.copy(scratch);
      await writer.write(offset, scratch.subarray(0, size));
      offset += size;
    }
  }
  return Buffer.concat(sent);
}
