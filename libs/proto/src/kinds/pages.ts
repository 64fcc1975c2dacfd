import type { Pages } from '../generated/messages.js';
import { U64_MAX } from '../int64.js';
import { PAGE_SIZE } from '../limits.js';
import { checkPageAligned, checkPid, checkUserAddress, fail } from './checks.js';

export function validatePages(p: Pages): void {
  checkPid(p.pid, 'pid');
  checkPageAligned(p.vaddr, 'vaddr');
  if (p.npages === 0) fail('npages is 0');
  const length = BigInt(p.npages) * BigInt(PAGE_SIZE);
  checkUserAddress(p.vaddr + length, `end of the run (vaddr + npages * ${PAGE_SIZE})`);
  if (p.offset + length > U64_MAX) fail(`offset ${p.offset} + ${length} bytes overflows the page store`);
}
