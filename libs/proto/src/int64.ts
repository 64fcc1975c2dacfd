// protobufjs moves 64-bit integers as {low, high} pairs (long.js); the library's callers see bigint.

export interface Int64Bits {
  low: number;
  high: number;
  unsigned: boolean;
}

export const U64_MAX = (1n << 64n) - 1n;
export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;

/** The {low, high} form protobufjs's writer accepts (it reads nothing else from a Long). */
export function bigintToBits(value: bigint, unsigned: boolean): Int64Bits {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned };
}

/** What protobufjs decoded (a Long, or a number/string if it was configured otherwise) as bigint. */
export function toBigint(value: unknown, signed: boolean): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' || typeof value === 'string') return BigInt(value);
  const { low, high } = value as { low: number; high: number };
  const bits = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return signed ? BigInt.asIntN(64, bits) : bits;
}
