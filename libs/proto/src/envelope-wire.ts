import type { RecordEnvelope } from './generated/messages.js';

// record.proto's Record written and read by hand: every record of a checkpoint passes through
// here once, and the reflective codec's cost on a cold start (a restore reads thousands of records
// once each) was most of a socket-heavy restore's reading. Only the canonical form is handled,
// the fields in order, none at its default, minimal varints; anything else is left to the
// general codec (envelope.ts), which says what is wrong with it.

const STRING_FIELDS = [[1, 'checkpointId'], [3, 'kind'], [4, 'objectId']] as const;
const SEQ_TAG = 0x10;
const lenTag = (field: number) => (field << 3) | 2;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function varintBytes(v: bigint | number): number {
  let n = 1;
  for (let x = BigInt(v); x >= 0x80n; x >>= 7n) n++;
  return n;
}

function writeVarint(buf: Buffer, at: number, v: bigint | number): number {
  if (typeof v === 'number' && v < 0x80) {
    buf[at] = v;
    return at + 1;
  }
  let x = BigInt(v);
  while (x >= 0x80n) {
    buf[at++] = Number(x & 0x7fn) | 0x80;
    x >>= 7n;
  }
  buf[at++] = Number(x);
  return at;
}

/** The canonical encoding of R, or undefined when a field is not of its type (the general codec says how). */
export function encodeEnvelopeWire(r: RecordEnvelope): Buffer | undefined {
  if (typeof r.checkpointId !== 'string' || typeof r.kind !== 'string' || typeof r.objectId !== 'string' || typeof r.seq !== 'bigint') return undefined;
  if (!(r.payload instanceof Uint8Array) || !(r.prevHash instanceof Uint8Array) || !(r.hash instanceof Uint8Array)) return undefined;
  if (r.seq < 0n || r.seq >= 1n << 64n) return undefined;
  const strings = STRING_FIELDS.map(([field, key]) => [field, Buffer.from(r[key], 'utf8')] as const);
  const parts: (readonly [number, Uint8Array])[] = [strings[0]!, strings[1]!, strings[2]!, [5, r.payload], [6, r.prevHash], [7, r.hash]];
  let size = r.seq === 0n ? 0 : 1 + varintBytes(r.seq);
  for (const [, b] of parts) if (b.length) size += 1 + varintBytes(b.length) + b.length;
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  const put = (field: number, b: Uint8Array) => {
    if (!b.length) return;
    buf[at++] = lenTag(field);
    at = writeVarint(buf, at, b.length);
    buf.set(b, at);
    at += b.length;
  };
  put(1, parts[0]![1]);
  if (r.seq !== 0n) {
    buf[at++] = SEQ_TAG;
    at = writeVarint(buf, at, r.seq);
  }
  for (const [field, b] of parts.slice(1)) put(field, b);
  return buf;
}

/** Valid UTF-8 as a string, else undefined; ids and kind names are ASCII, which needs no decoder call. */
function textOf(bytes: Uint8Array, from: number, to: number): string | undefined {
  let ascii = true;
  for (let i = from; i < to && ascii; i++) ascii = bytes[i]! < 0x80;
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
  try {
    return utf8.decode(bytes.subarray(from, to));
  } catch {
    return undefined;
  }
}

/** Reads a minimal varint at AT; undefined if it is not minimal, too long or runs past END. */
function readVarint(b: Uint8Array, at: number, end: number): { value: bigint; next: number } | undefined {
  let value = 0n;
  for (let i = 0, shift = 0n; i < 10 && at + i < end; i++, shift += 7n) {
    const byte = b[at + i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) {
      if (i > 0 && byte === 0) return undefined;
      if (i === 9 && byte > 1) return undefined;
      return { value, next: at + i + 1 };
    }
  }
  return undefined;
}

/**
 * The envelope BYTES hold if they are in canonical form (what encodeEnvelopeWire writes), else
 * undefined. The payload is a view of BYTES (it is decoded, which copies, and dropped); the
 * hashes are copies, kept for the next record's check.
 */
export function decodeCanonicalEnvelope(bytes: Uint8Array): RecordEnvelope | undefined {
  const r: RecordEnvelope = { checkpointId: '', seq: 0n, kind: '', objectId: '', payload: Buffer.alloc(0), prevHash: Buffer.alloc(0), hash: Buffer.alloc(0) };
  let at = 0, last = 0;
  const end = bytes.length;
  while (at < end) {
    const tag = bytes[at++]!;
    const field = tag >> 3;
    if (field <= last || field > 7) return undefined;
    last = field;
    if (field === 2) {
      if (tag !== SEQ_TAG) return undefined;
      const v = readVarint(bytes, at, end);
      if (!v || v.value === 0n) return undefined;
      r.seq = v.value;
      at = v.next;
      continue;
    }
    if (tag !== lenTag(field)) return undefined;
    const len = readVarint(bytes, at, end);
    if (!len || len.value === 0n || len.value > BigInt(end - len.next)) return undefined;
    const from = len.next, to = from + Number(len.value);
    at = to;
    if (field === 1 || field === 3 || field === 4) {
      const s = textOf(bytes, from, to);
      if (s === undefined) return undefined;
      if (field === 1) r.checkpointId = s;
      else if (field === 3) r.kind = s;
      else r.objectId = s;
    } else {
      if (field === 5) r.payload = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from);
      else if (field === 6) r.prevHash = Buffer.from(bytes.subarray(from, to));
      else r.hash = Buffer.from(bytes.subarray(from, to));
    }
  }
  return r;
}
