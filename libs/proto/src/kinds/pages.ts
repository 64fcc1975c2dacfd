import { U64_MAX } from '../int64.js';
import { PAGE_SIZE } from '../limits.js';
import { checkPageAligned, checkPid, checkUserAddress, fail } from './checks.js';

/**
 * A run of pages of one task. The bytes live in the page store; the record says where and carries
 * their digest, so the chain covers the pages too. Object id: "pages:PID:VADDR(hex)".
 */
export interface Pages {
  pid: number;
  vaddr: bigint;
  npages: number;
  /** Byte offset in the page store. */
  offset: bigint;
  /** zlib crc32 of the bytes. */
  crc32: number;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    pages: Pages;
  }
}

export function validatePages(p: Pages): void {
  checkPid(p.pid, 'pid');
  checkPageAligned(p.vaddr, 'vaddr');
  if (p.npages === 0) fail('npages is 0');
  const length = BigInt(p.npages) * BigInt(PAGE_SIZE);
  checkUserAddress(p.vaddr + length, `end of the run (vaddr + npages * ${PAGE_SIZE})`);
  if (p.offset + length > U64_MAX) fail(`offset ${p.offset} + ${length} bytes overflows the page store`);
}
