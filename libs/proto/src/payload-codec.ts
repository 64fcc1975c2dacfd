import { VALIDATORS } from './generated/validators.js';
import type { KindName, KindPayloads } from './kind-payloads.js';
import { MessageCodec } from './message-codec.js';
import { schema, type KindSchema } from './schema.js';

// The kinds are whatever .proto files the folder holds; each one's validator comes from the table
// the build generates from the same folder, so adding a kind edits nothing here.

interface KindEntry {
  readonly codec: MessageCodec;
  readonly validate: (payload: object) => void;
}

function validatorOf(k: KindSchema): (payload: object) => void {
  const fn = (VALIDATORS as unknown as Partial<Record<string, (payload: object) => void>>)[k.kind];
  // An unvalidated kind would let any decoded garbage through to the restorer: refuse to start.
  // Only a .proto newer than the build gets here: the build itself refuses a kind without one.
  if (!fn) throw new Error(`kind ${k.kind} (${k.file}) is not in this build: write src/kinds/${k.kind}.ts exporting validate${k.type.name}, then npm run build`);
  return fn;
}

const kinds = new Map<string, KindEntry>(
  schema().kinds.map((k) => [k.kind, { codec: MessageCodec.of(k.type), validate: validatorOf(k) }]),
);

/** Every kind the .proto folder defines, sorted. */
export const KIND_NAMES: readonly KindName[] = Object.freeze([...kinds.keys()] as KindName[]);

export function isKindName(name: string): name is KindName {
  return kinds.has(name);
}

function entry(kind: string): KindEntry {
  const k = kinds.get(kind);
  if (!k) throw new Error(`unknown kind ${JSON.stringify(kind)}`);
  return k;
}

/** Throws TypeError when a field has the wrong type or range (a bigint field given a number, a negative uint32...). */
export function encodePayload<K extends KindName>(kind: K, payload: KindPayloads[K]): Buffer {
  return entry(kind).codec.encode(payload);
}

/** Every field present (defaults filled in); 64-bit integers as bigint; bytes as Buffer copies. */
export function decodePayload<K extends KindName>(kind: K, bytes: Uint8Array): KindPayloads[K] {
  return entry(kind).codec.decode(bytes) as KindPayloads[K];
}

/** The payload with every field at its default. */
export function defaultPayload<K extends KindName>(kind: K): KindPayloads[K] {
  return entry(kind).codec.defaults() as KindPayloads[K];
}

/** Structural checks: the generic ones (strings, enums) and the kind's own. Throws PayloadError. */
export function validatePayload<K extends KindName>(kind: K, payload: KindPayloads[K]): void {
  const k = entry(kind);
  k.codec.checkValues(payload);
  k.validate(payload);
}
