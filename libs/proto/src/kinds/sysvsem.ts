import type { SysvSem } from '../generated/messages.js';
import { fail } from './checks.js';
import { IPC_ID_MAX } from './sysvshm.js';

/** SEMMSL and SEMVMX of the kernel: the most semaphores of a set, the largest value of one. */
const SEMMSL = 32000, SEMVMX = 32767;

export function validateSysvSem(s: SysvSem): void {
  if (s.id > IPC_ID_MAX) fail(`id ${s.id} is beyond what an IPC id can be`);
  if (s.mode & ~0o777) fail(`mode 0o${s.mode.toString(8)} has bits beyond the permission bits`);
  if (s.values.length === 0) fail('values is empty: a set has at least one semaphore');
  if (s.values.length > SEMMSL) fail(`values has ${s.values.length} semaphores, more than a set can (${SEMMSL})`);
  s.values.forEach((v, n) => {
    if (v > SEMVMX) fail(`values[${n}] ${v} is beyond a semaphore's largest value (${SEMVMX})`);
  });
}
