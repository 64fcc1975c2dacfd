import type { Commit } from '../generated/messages.js';
import { PAGE_SIZE } from '../limits.js';
import { fail } from './checks.js';

export function validateCommit(c: Commit): void {
  if (c.pageBytes % BigInt(PAGE_SIZE) !== 0n) fail(`pageBytes ${c.pageBytes} is not a whole number of pages`);
  for (const [kind, n] of Object.entries(c.kindCounts)) {
    if (kind === '' || n === 0n) fail(`kindCounts has an empty entry ${JSON.stringify(kind)}: ${n}`);
  }
}
