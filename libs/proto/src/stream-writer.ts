import { firstPrevHash, objectIdProblem, recordHash, type RecordEnvelope } from './envelope.js';
import type { KindName, KindPayloads } from './kind-payloads.js';
import type { Commit, Inventory } from './generated/messages.js';
import { PAGE_SIZE } from './limits.js';
import { encodePayload, isKindName, validatePayload } from './payload-codec.js';
import { PayloadError } from './payload-error.js';

export const INVENTORY_OBJECT_ID = 'inventory';
export const COMMIT_OBJECT_ID = 'commit';

/**
 * Builds a stream's records in order: validates and encodes each payload, numbers it, chains it,
 * and keeps the counts the commit record reports. Knows nothing of where records go, so every
 * sink (files, NATS) makes the same stream.
 */
export class StreamWriter {
  readonly checkpointId: string;
  /** The stream's first record, made from the inventory given to the constructor. */
  readonly inventoryRecord: RecordEnvelope;
  private seq = 0n;
  private prevHash = firstPrevHash();
  private readonly kindCounts = new Map<string, bigint>();
  private pageBytes = 0n;
  private committed = false;

  constructor(inventory: Inventory) {
    this.checkpointId = inventory.checkpointId;
    this.inventoryRecord = this.next('inventory', INVENTORY_OBJECT_ID, inventory);
  }

  /** The next record. Throws PayloadError (naming kind and object) for a payload a restorer would refuse. */
  add<K extends Exclude<KindName, 'inventory' | 'commit'>>(kind: K, objectId: string, payload: KindPayloads[K]): RecordEnvelope {
    if ((kind as string) === 'inventory' || (kind as string) === 'commit') throw new Error(`${kind} records are written by the stream itself`);
    const record = this.next(kind, objectId, payload);
    if (kind === 'pages') this.pageBytes += BigInt((payload as KindPayloads['pages']).npages) * BigInt(PAGE_SIZE);
    return record;
  }

  /** The commit record; the stream is closed afterwards. */
  commit(): { record: RecordEnvelope; commit: Commit } {
    const commit: Commit = { recordCount: this.seq, kindCounts: Object.fromEntries(this.kindCounts), pageBytes: this.pageBytes };
    const record = this.next('commit', COMMIT_OBJECT_ID, commit);
    this.committed = true;
    return { record, commit };
  }

  private next<K extends KindName>(kind: K, objectId: string, payload: KindPayloads[K]): RecordEnvelope {
    if (this.committed) throw new Error('the stream is committed: no record can follow the commit');
    if (!isKindName(kind)) throw new Error(`unknown kind ${JSON.stringify(kind)}`);
    // Encoding first: it reports wrong field types more clearly than the checks would.
    const bytes = encodePayload(kind, payload);
    checkPayload(kind, objectId, payload);
    const hash = recordHash(this.prevHash, this.seq, kind, objectId, bytes);
    const record: RecordEnvelope = { checkpointId: this.checkpointId, seq: this.seq, kind, objectId, payload: bytes, prevHash: this.prevHash, hash };
    this.prevHash = hash;
    this.seq += 1n;
    if (kind !== 'commit') this.kindCounts.set(kind, (this.kindCounts.get(kind) ?? 0n) + 1n);
    return record;
  }
}

/** What a reader would refuse in a record, refused at the writer: PayloadError naming kind and object. */
export function checkPayload<K extends KindName>(kind: K, objectId: string, payload: KindPayloads[K]): void {
  const idProblem = objectIdProblem(objectId);
  if (idProblem) throw new PayloadError(`${kind} ${JSON.stringify(objectId.slice(0, 80))}: ${idProblem}`);
  try {
    validatePayload(kind, payload);
  } catch (e) {
    if (e instanceof PayloadError) throw new PayloadError(`${kind} ${objectId}: ${e.message}`);
    throw e;
  }
}
