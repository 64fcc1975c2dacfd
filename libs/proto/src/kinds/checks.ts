import { I64_MAX } from '../int64.js';
import { PAGE_SIZE, PID_MAX, USER_SPACE_END } from '../limits.js';
import { PayloadError } from '../payload-error.js';

// Small assertions the kinds' validators are written with. Each names the field it checks.

export function fail(message: string): never {
  throw new PayloadError(message);
}

export const hex = (v: bigint | number): string => '0x' + v.toString(16);

export function checkPid(value: number, field: string): void {
  if (value < 1 || value > PID_MAX) fail(`${field} ${value} is not a pid (1..${PID_MAX})`);
}

/** A pid seen from inside a namespace is 0 when the process it names lives outside it. */
export function checkPidOrZero(value: number, field: string): void {
  if (value !== 0) checkPid(value, field);
}

export function checkPageAligned(value: bigint, field: string): void {
  if (value % BigInt(PAGE_SIZE) !== 0n) fail(`${field} ${hex(value)} is not page aligned`);
}

/** Addresses and ends of ranges: at most the end of user space. */
export function checkUserAddress(value: bigint, field: string): void {
  if (value > USER_SPACE_END) fail(`${field} ${hex(value)} is beyond user space (${hex(USER_SPACE_END)})`);
}

export function checkFileOffset(value: bigint, field: string): void {
  if (value > I64_MAX) fail(`${field} ${value} does not fit a file offset`);
}

export function checkLength(bytes: Uint8Array, field: string, min: number, max: number): void {
  if (bytes.length < min || bytes.length > max) {
    fail(`${field} is ${bytes.length} bytes long (expected ${min === max ? `exactly ${min}` : `${min}..${max}`})`);
  }
}

export function checkEach(list: readonly Uint8Array[], field: string, size: number): void {
  list.forEach((b, i) => checkLength(b, `${field}[${i}]`, size, size));
}

export function checkNotEmpty(value: string, field: string): void {
  if (value === '') fail(`${field} is empty`);
}

export function checkAbsolutePath(value: string, field: string): void {
  if (!value.startsWith('/')) fail(`${field} ${JSON.stringify(value)} is not an absolute path`);
}

export function checkUnique<T>(values: readonly T[], field: string): void {
  const seen = new Set<T>();
  for (const v of values) {
    if (seen.has(v)) fail(`${field} lists ${String(v)} twice`);
    seen.add(v);
  }
}
