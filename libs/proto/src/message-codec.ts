import protobuf from 'protobufjs';
import { bigintToBits, I64_MAX, I64_MIN, toBigint, U64_MAX } from './int64.js';
import { MAX_STRING_BYTES } from './limits.js';
import { PayloadError } from './payload-error.js';

// Converts between the library's plain objects (bigint, Buffer, every field present) and what
// protobufjs encodes and decodes (Long, Uint8Array views, defaults on the prototype). Driven by
// reflection, so that a new or changed .proto needs no code.

type ValueKind = 'u64' | 'i64' | 'u32' | 'i32' | 'float' | 'bool' | 'string' | 'bytes' | 'enum' | 'message';

interface FieldPlan {
  readonly name: string;
  readonly where: string;
  readonly shape: 'single' | 'repeated' | 'map';
  readonly value: ValueKind;
  /** Members of a oneof (proto3 `optional` included) stay absent when unset: absence is their meaning. */
  readonly optional: boolean;
  readonly enumValues?: ReadonlySet<number>;
  readonly message?: MessageCodec;
}

const VALUE_KINDS: Readonly<Record<string, ValueKind>> = {
  uint64: 'u64', fixed64: 'u64',
  int64: 'i64', sint64: 'i64', sfixed64: 'i64',
  uint32: 'u32', fixed32: 'u32',
  int32: 'i32', sint32: 'i32', sfixed32: 'i32',
  double: 'float', float: 'float',
  bool: 'bool', string: 'string', bytes: 'bytes',
};

type Plain = { [field: string]: unknown };

export class MessageCodec {
  private static readonly codecs = new WeakMap<protobuf.Type, MessageCodec>();
  private planned?: { fields: readonly FieldPlan[]; names: ReadonlySet<string> };

  private constructor(readonly type: protobuf.Type) {}

  static of(type: protobuf.Type): MessageCodec {
    let codec = MessageCodec.codecs.get(type);
    if (!codec) MessageCodec.codecs.set(type, (codec = new MessageCodec(type)));
    return codec;
  }

  encode(value: object): Buffer {
    const bytes = this.type.encode(this.toWire(value as Plain, this.type.name)).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws what protobufjs throws on malformed input; bytes fields are copies, never views of `bytes`. */
  decode(bytes: Uint8Array): object {
    return this.fromWire(this.type.decode(bytes) as unknown as Plain);
  }

  /** The message with every field at its default, as decoding zero bytes gives it. */
  defaults(): object {
    return this.fromWire({});
  }

  /**
   * The checks every kind gets for free: strings short enough for a path and free of NUL (the
   * kernel takes C strings), enum values the schema knows (proto3 decodes any number).
   */
  checkValues(value: object, path = ''): void {
    for (const f of this.plan().fields) {
      const v = (value as Plain)[f.name];
      if (v === undefined) continue;
      const at = path + f.name;
      if (f.shape === 'repeated') (v as unknown[]).forEach((x, i) => this.checkValue(f, x, `${at}[${i}]`));
      else if (f.shape === 'map') {
        for (const [k, x] of Object.entries(v as Plain)) {
          checkString(k, `${at} key ${JSON.stringify(k.slice(0, 40))}`);
          this.checkValue(f, x, `${at}[${JSON.stringify(k)}]`);
        }
      } else this.checkValue(f, v, at);
    }
  }

  private checkValue(f: FieldPlan, v: unknown, at: string): void {
    if (f.value === 'string') checkString(v as string, at);
    else if (f.value === 'enum' && !f.enumValues!.has(v as number)) throw new PayloadError(`${at}: unknown enum value ${v}`);
    else if (f.value === 'message') f.message!.checkValues(v as object, `${at}.`);
  }

  private plan(): { fields: readonly FieldPlan[]; names: ReadonlySet<string> } {
    // Built on first use, not in the constructor, so that self-referencing messages terminate.
    if (!this.planned) {
      const fields = this.type.fieldsArray.map((f) => planField(this.type, f));
      this.planned = { fields, names: new Set(fields.map((f) => f.name)) };
    }
    return this.planned;
  }

  /** @internal Nested messages convert through their own codec. */
  toWire(value: Plain, where: string): Plain {
    if (typeof value !== 'object' || value === null) throw new TypeError(`${where}: expected an object, got ${describe(value)}`);
    const { fields, names } = this.plan();
    for (const key of Object.keys(value)) {
      if (!names.has(key) && value[key] !== undefined) throw new TypeError(`${this.type.name}: no field named ${key}`);
    }
    const wire: Plain = {};
    for (const f of fields) {
      const v = value[f.name];
      if (v === undefined || v === null) continue;
      if (f.shape === 'repeated') {
        if (!Array.isArray(v)) throw new TypeError(`${f.where}: expected an array, got ${describe(v)}`);
        wire[f.name] = v.map((x, i) => toWireValue(f, x, `${f.where}[${i}]`));
      } else if (f.shape === 'map') {
        if (typeof v !== 'object') throw new TypeError(`${f.where}: expected an object, got ${describe(v)}`);
        const m: Plain = {};
        for (const [k, x] of Object.entries(v as Plain)) m[k] = toWireValue(f, x, `${f.where}[${JSON.stringify(k)}]`);
        wire[f.name] = m;
      } else {
        const w = toWireValue(f, v, f.where);
        // Defaults cost bytes and mean nothing in proto3; set oneof members must be written.
        if (f.optional || !isDefault(f, v)) wire[f.name] = w;
      }
    }
    return wire;
  }

  /** @internal */
  fromWire(msg: Plain): Plain {
    const out: Plain = {};
    for (const f of this.plan().fields) {
      const v = msg[f.name];
      if (f.shape === 'repeated') out[f.name] = v == null ? [] : (v as unknown[]).map((x) => fromWireValue(f, x));
      else if (f.shape === 'map') {
        const m: Plain = {};
        if (v != null) for (const [k, x] of Object.entries(v as Plain)) m[k] = fromWireValue(f, x);
        out[f.name] = m;
      } else if (v != null || !f.optional) out[f.name] = fromWireValue(f, v);
    }
    return out;
  }
}

function planField(owner: protobuf.Type, field: protobuf.Field): FieldPlan {
  field.resolve();
  const where = `${owner.name}.${field.name}`;
  const isMap = field instanceof protobuf.MapField;
  // protobufjs keys 64-bit maps by an 8-char hash string: nothing a caller could use.
  if (isMap && VALUE_KINDS[(field as protobuf.MapField).keyType]?.endsWith('64')) throw new Error(`${where}: maps with 64-bit keys are not supported`);
  const resolved = field.resolvedType;
  const base = { name: field.name, where, shape: isMap ? 'map' : field.repeated ? 'repeated' : 'single', optional: field.partOf != null } as const;
  if (resolved instanceof protobuf.Enum) return { ...base, value: 'enum', enumValues: new Set(Object.values(resolved.values)) };
  if (resolved instanceof protobuf.Type) return { ...base, value: 'message', message: MessageCodec.of(resolved) };
  const value = VALUE_KINDS[field.type];
  if (!value) throw new Error(`${where}: unsupported field type ${field.type}`);
  return { ...base, value };
}

function toWireValue(f: FieldPlan, v: unknown, where: string): unknown {
  const bad = (expected: string): never => {
    throw new TypeError(`${where}: expected ${expected}, got ${describe(v)}`);
  };
  switch (f.value) {
    case 'u64':
      if (typeof v !== 'bigint') return bad('a bigint');
      if (v < 0n || v > U64_MAX) return bad('an unsigned 64-bit value');
      return bigintToBits(v, true);
    case 'i64':
      if (typeof v !== 'bigint') return bad('a bigint');
      if (v < I64_MIN || v > I64_MAX) return bad('a signed 64-bit value');
      return bigintToBits(v, false);
    case 'u32':
      // protobufjs would silently wrap -1 to 4294967295.
      return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0xffffffff ? v : bad('an unsigned 32-bit integer');
    case 'i32':
    case 'enum':
      return Number.isInteger(v) && (v as number) >= -0x80000000 && (v as number) <= 0x7fffffff ? v : bad('a signed 32-bit integer');
    case 'float':
      return typeof v === 'number' ? v : bad('a number');
    case 'bool':
      return typeof v === 'boolean' ? v : bad('a boolean');
    case 'string':
      return typeof v === 'string' ? v : bad('a string');
    case 'bytes':
      return v instanceof Uint8Array ? v : bad('a Buffer');
    case 'message':
      return f.message!.toWire(v as Plain, where);
  }
}

function fromWireValue(f: FieldPlan, v: unknown): unknown {
  switch (f.value) {
    case 'u64':
      return v == null ? 0n : toBigint(v, false);
    case 'i64':
      return v == null ? 0n : toBigint(v, true);
    case 'bytes':
      return v == null ? Buffer.alloc(0) : Buffer.from(v as Uint8Array);
    case 'message':
      return f.message!.fromWire((v ?? {}) as Plain);
    case 'string':
      return v ?? '';
    case 'bool':
      return v ?? false;
    default:
      return v ?? 0;
  }
}

function isDefault(f: FieldPlan, v: unknown): boolean {
  switch (f.value) {
    case 'u64':
    case 'i64':
      return v === 0n;
    case 'bytes':
      return (v as Uint8Array).length === 0;
    case 'message':
      return false;
    case 'string':
      return v === '';
    case 'bool':
      return v === false;
    default:
      return v === 0;
  }
}

function checkString(s: string, at: string): void {
  // Only long strings can reach the limit in UTF-8 (3 bytes per UTF-16 unit at most).
  if (s.length * 3 >= MAX_STRING_BYTES && Buffer.byteLength(s, 'utf8') >= MAX_STRING_BYTES) {
    throw new PayloadError(`${at}: ${Buffer.byteLength(s, 'utf8')} bytes long (the limit is ${MAX_STRING_BYTES - 1})`);
  }
  if (s.includes('\0')) throw new PayloadError(`${at}: contains a NUL byte`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}
