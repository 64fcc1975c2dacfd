import type { KindName, KindPayloads } from './kind-payloads.js';
import type { Commit, Inventory, Pages } from './generated/messages.js';

/** One record of a verified stream, payload decoded. Narrow on `kind` to get the payload's type. */
export type DecodedRecord = {
  [K in KindName]: { readonly seq: number; readonly kind: K; readonly objectId: string; readonly payload: KindPayloads[K] };
}[KindName];

/**
 * A checkpoint a restorer can read: verified before it is handed out. A local image directory is
 * one; a stream fetched from the image server will be another.
 */
export interface RecordSource {
  readonly checkpointId: string;
  readonly inventory: Inventory;
  readonly commit: Commit;
  /** Every record, the inventory first and the commit last, in stream order. */
  readonly records: readonly DecodedRecord[];
  /** The payloads of one kind, in stream order. */
  byKind<K extends KindName>(kind: K): KindPayloads[K][];
  /** The bytes of a pages record, checked against its crc32. */
  readPages(pages: Pages): Promise<Buffer>;
}
