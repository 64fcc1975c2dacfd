import type { KindPayloads, PayloadKind } from './kind-payloads.js';
import type { Commit } from './generated/messages.js';

/**
 * Where a dump writes its checkpoint: a local image directory, or (distributed mode) the image
 * server. The sink writes the inventory first, numbers and chains the records, and writes the
 * commit last; the dumper only says what to record.
 */
export interface RecordSink {
  readonly checkpointId: string;
  /** Validates the payload first: a record the restorer would refuse is refused here. */
  put<K extends PayloadKind>(kind: K, objectId: string, payload: KindPayloads[K]): Promise<void>;
  /**
   * Stores a run of pages (a whole number of 4096-byte pages) and records where they went and
   * their crc32. `data` may be reused once the promise resolves.
   */
  putPages(pid: number, vaddr: bigint, data: Buffer): Promise<void>;
  /** Writes the commit record and makes everything durable. After it, the sink takes nothing more. */
  commit(): Promise<Commit>;
  /** Removes everything this sink wrote: a failed dump leaves no half image. */
  abort(): Promise<void>;
}
