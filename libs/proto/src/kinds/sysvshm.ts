import type { SysvShm } from '../generated/messages.js';
import { USER_SPACE_END } from '../limits.js';
import { fail } from './checks.js';

/** IPC ids are positive ints. */
export const IPC_ID_MAX = 0x7fffffff;

export function validateSysvShm(s: SysvShm): void {
  if (s.id > IPC_ID_MAX) fail(`id ${s.id} is beyond what an IPC id can be`);
  if (s.size === 0n) fail('size is 0: a segment has at least one byte');
  if (s.size > USER_SPACE_END) fail(`size ${s.size} is larger than an address space`);
  if (s.mode & ~0o777) fail(`mode 0o${s.mode.toString(8)} has bits beyond the permission bits`);
  if (s.removed && s.key !== 0) fail(`key 0x${(s.key >>> 0).toString(16)} on a removed segment, whose key the kernel makes IPC_PRIVATE`);
}
