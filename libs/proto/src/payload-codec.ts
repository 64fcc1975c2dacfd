import type { KindName, KindPayloads } from './kind-payloads.js';
import * as kindModules from './kinds/index.js';
import { MessageCodec } from './message-codec.js';
import { schema, type KindSchema } from './schema.js';

// The kinds are whatever .proto files the folder holds; each one's validator is found by name
// (`validate<Message>` exported from src/kinds/), so adding a kind edits nothing here.

interface KindEntry {
  readonly codec: MessageCodec;
  readonly validate: (payload: object) => void;
}

function validatorOf(k: KindSchema): (payload: object) => void {
  const name = `validate${k.type.name}`;
  const fn = (kindModules as unknown as Record<string, unknown>)[name];
  // An unvalidated kind would let any decoded garbage through to the restorer: refuse to start.
  if (typeof fn !== 'function') throw new Error(`kind ${k.kind} (${k.file}): src/kinds/${k.kind}.ts must export ${name} and src/kinds/index.ts re-export it`);
  return fn as (payload: object) => void;
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
