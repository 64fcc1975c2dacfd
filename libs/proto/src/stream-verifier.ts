import { decodeCanonicalEnvelope } from './envelope-wire.js';
import { decodeRecord, encodeRecordGenerally, firstPrevHash, objectIdProblem, recordHash, type RecordEnvelope } from './envelope.js';
import type { KindName } from './kind-payloads.js';
import type { Commit, Inventory, Pages } from './generated/messages.js';
import { PAGE_SIZE } from './limits.js';
import { decodePayload, isKindName, validatePayload } from './payload-codec.js';
import { PayloadError } from './payload-error.js';
import type { DecodedRecord } from './record-source.js';

/** What is wrong with a stream, naming the record: "record 17 (vma vma:123:7f00...): chain hash mismatch". */
export class StreamError extends Error {
  override name = 'StreamError';
}

/**
 * Checks a stream record by record, as it arrives, whatever carried it: framing aside, everything
 * a reader must refuse is refused here. Call accept() for each record in order, then finish().
 */
export class StreamVerifier {
  private position = 0;
  private prevHash = firstPrevHash();
  private checkpointId = '';
  private inventory?: Inventory;
  private commit?: Commit;
  private readonly kindCounts = new Map<string, bigint>();
  private pageBytes = 0n;

  /** `where` locates the record for the reader (e.g. "byte 4096") when it cannot even be decoded. */
  accept(bytes: Uint8Array, where?: string): DecodedRecord {
    const n = this.position;
    const env = decodeCanonicalEnvelope(bytes) ?? this.decodeOtherwise(bytes, n, where);
    const label = `record ${n} (${printable(env.kind)} ${printable(env.objectId)})`;
    const refuse = (problem: string): never => {
      throw new StreamError(`${label}: ${problem}`);
    };

    if (n === 0) {
      if (env.checkpointId === '') refuse('no checkpoint id');
      this.checkpointId = env.checkpointId;
    } else if (env.checkpointId !== this.checkpointId) {
      refuse(`belongs to checkpoint ${printable(env.checkpointId)}, not ${printable(this.checkpointId)}`);
    }
    if (env.seq !== BigInt(n)) refuse(`${env.seq > BigInt(n) ? 'sequence gap' : 'sequence out of order'}: expected ${n}, found ${env.seq}`);
    if (this.commit) refuse('follows the commit record');
    if (!env.prevHash.equals(this.prevHash)) refuse(n === 0 ? 'chain broken: prev_hash of the first record is not zero' : `chain broken: prev_hash is not the hash of record ${n - 1}`);
    if (!env.hash.equals(recordHash(env.prevHash, env.seq, env.kind, env.objectId, env.payload))) refuse('chain hash mismatch');
    const kind = env.kind;
    if (!isKindName(kind)) return refuse(`unknown kind ${JSON.stringify(kind)}`);
    const idProblem = objectIdProblem(env.objectId);
    if (idProblem) refuse(idProblem);
    if (n === 0 && kind !== 'inventory') refuse('the first record must be the inventory');
    if (n > 0 && kind === 'inventory') refuse('a second inventory record');

    let payload: DecodedRecord['payload'];
    try {
      payload = decodePayload(kind, env.payload);
    } catch (e) {
      return refuse(`cannot decode the payload: ${(e as Error).message}`);
    }
    try {
      validatePayload(kind, payload);
    } catch (e) {
      if (e instanceof PayloadError) refuse(e.message);
      throw e;
    }

    if (kind === 'inventory') {
      const inventory = payload as Inventory;
      if (inventory.checkpointId !== env.checkpointId) refuse(`the inventory names checkpoint ${printable(inventory.checkpointId)}, its envelope ${printable(env.checkpointId)}`);
      this.inventory = inventory;
    } else if (kind === 'commit') {
      this.checkCommit(payload as Commit, refuse);
      this.commit = payload as Commit;
    } else {
      if (kind === 'pages') this.pageBytes += BigInt((payload as Pages).npages) * BigInt(PAGE_SIZE);
    }
    if (kind !== 'commit') this.kindCounts.set(kind, (this.kindCounts.get(kind) ?? 0n) + 1n);
    this.prevHash = env.hash;
    this.position++;
    return { seq: n, kind: kind as KindName, objectId: env.objectId, payload } as DecodedRecord;
  }

  /**
   * Bytes the hand-written reader would not take, through the general codec. protobufjs accepts
   * a known field under any wire type, overlong varints, repeated and unknown fields: bytes that
   * change nothing it decodes. Only the canonical form is a record.
   */
  private decodeOtherwise(bytes: Uint8Array, n: number, where?: string): RecordEnvelope {
    let env: RecordEnvelope;
    try {
      env = decodeRecord(bytes);
    } catch (e) {
      throw new StreamError(`record ${n}${where ? ` at ${where}` : ''}: cannot decode the envelope: ${(e as Error).message}`);
    }
    if (!encodeRecordGenerally(env).equals(bytes)) throw new StreamError(`record ${n} (${printable(env.kind)} ${printable(env.objectId)}): the envelope is not in canonical form`);
    return env;
  }

  /** The stream ended: it must have been complete. */
  finish(): { inventory: Inventory; commit: Commit } {
    if (this.position === 0) throw new StreamError('no records: the checkpoint is incomplete');
    if (!this.commit || !this.inventory) throw new StreamError('no commit record: the checkpoint is incomplete');
    return { inventory: this.inventory, commit: this.commit };
  }

  private checkCommit(c: Commit, refuse: (problem: string) => never): void {
    const n = BigInt(this.position);
    if (c.recordCount !== n) refuse(`the commit counts ${c.recordCount} records before it, the stream has ${n}`);
    const kinds = new Set([...this.kindCounts.keys(), ...Object.keys(c.kindCounts)]);
    for (const kind of [...kinds].sort()) {
      const claimed = c.kindCounts[kind] ?? 0n;
      const actual = this.kindCounts.get(kind) ?? 0n;
      if (claimed !== actual) refuse(`the commit counts ${claimed} ${printable(kind)} records, the stream has ${actual}`);
    }
    if (c.pageBytes !== this.pageBytes) refuse(`the commit counts ${c.pageBytes} bytes of pages, the pages records add up to ${this.pageBytes}`);
  }
}

/** Corrupt input must not break the one-line error message (or flood it). */
function printable(s: string, max = 80): string {
  if (s === '') return '""';
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > max ? clean.slice(0, max) + '...' : clean;
}
