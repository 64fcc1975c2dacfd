import { createHash } from 'node:crypto';
import type { RecordEnvelope } from './generated/messages.js';
import { HASH_BYTES, MAX_STRING_BYTES } from './limits.js';
import { MessageCodec } from './message-codec.js';
import { encodeEnvelopeWire } from './envelope-wire.js';
import { schema } from './schema.js';

/** record.proto's Record: what every record of a stream carries around its payload. */
export type { RecordEnvelope };

/** The prev_hash of a stream's first record. */
export function firstPrevHash(): Buffer {
  return Buffer.alloc(HASH_BYTES);
}

let codec: MessageCodec | undefined;
const envelope = (): MessageCodec => (codec ??= MessageCodec.of(schema().envelope));

export function encodeRecord(record: RecordEnvelope): Buffer {
  return encodeEnvelopeWire(record) ?? envelope().encode(record);
}

/** encodeRecord through the reflective codec alone (what the hand-written one must agree with). */
export function encodeRecordGenerally(record: RecordEnvelope): Buffer {
  return envelope().encode(record);
}

/** Throws on malformed bytes; the Buffers returned are copies. */
export function decodeRecord(bytes: Uint8Array): RecordEnvelope {
  return envelope().decode(bytes) as RecordEnvelope;
}

const SEPARATOR = Buffer.from([0]);

/**
 * The chain hash of a record: sha256(prev_hash || seq as u64 LE || kind || 0x00 || object_id || 0x00 || payload).
 * prev_hash has a fixed length and kind and object id cannot hold NUL (see objectIdProblem), so no
 * two different records hash the same input.
 */
export function recordHash(prevHash: Uint8Array, seq: bigint, kind: string, objectId: string, payload: Uint8Array): Buffer {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64LE(seq);
  return createHash('sha256')
    .update(prevHash)
    .update(seqBytes)
    .update(kind, 'utf8')
    .update(SEPARATOR)
    .update(objectId, 'utf8')
    .update(SEPARATOR)
    .update(payload)
    .digest();
}

/** Why a string cannot be an object id, or undefined if it can. */
export function objectIdProblem(objectId: string): string | undefined {
  if (objectId === '') return 'the object id is empty';
  if (objectId.includes('\0')) return 'the object id contains a NUL byte';
  if (Buffer.byteLength(objectId, 'utf8') >= MAX_STRING_BYTES) return `the object id is ${MAX_STRING_BYTES} bytes long or more`;
  return undefined;
}
