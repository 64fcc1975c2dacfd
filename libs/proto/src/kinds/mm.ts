import type { Mm } from '../generated/messages.js';
import { AUXV_ENTRY_BYTES } from '../limits.js';
import { checkAbsolutePath, checkPid, checkUserAddress, fail, hex } from './checks.js';

/** Far above mm->saved_auxv (a few hundred bytes): more is not an auxv. */
const AUXV_MAX_BYTES = 4096;

// Ranges PR_SET_MM_MAP checks the same way: the first field may not lie above the second.
const RANGES = [
  ['startCode', 'endCode'],
  ['startData', 'endData'],
  ['startBrk', 'brk'],
  ['argStart', 'argEnd'],
  ['envStart', 'envEnd'],
] as const;

const ADDRESSES = ['startCode', 'endCode', 'startData', 'endData', 'startBrk', 'brk', 'startStack', 'argStart', 'argEnd', 'envStart', 'envEnd'] as const;

export function validateMm(m: Mm): void {
  checkPid(m.pid, 'pid');
  for (const f of ADDRESSES) checkUserAddress(m[f], f);
  for (const [lo, hi] of RANGES) if (m[lo] > m[hi]) fail(`${lo} ${hex(m[lo])} is above ${hi} ${hex(m[hi])}`);
  if (m.auxv.length % AUXV_ENTRY_BYTES !== 0) fail(`auxv is ${m.auxv.length} bytes long, not a multiple of ${AUXV_ENTRY_BYTES}`);
  if (m.auxv.length > AUXV_MAX_BYTES) fail(`auxv is ${m.auxv.length} bytes long (at most ${AUXV_MAX_BYTES})`);
  if (m.auxv.length > 0 && m.auxv.readBigUInt64LE(m.auxv.length - AUXV_ENTRY_BYTES) !== 0n) fail('auxv does not end with AT_NULL');
  checkAbsolutePath(m.exePath, 'exePath');
}
