import type { Pages } from './generated/messages.js';
import { PAGE_SIZE } from './limits.js';
import { checkPayload } from './stream-writer.js';

/**
 * The pages record for LENGTH bytes of pid's memory at VADDR, stored at OFFSET of the page store,
 * its crc32 still 0. Every sink names and checks page runs the same way, and refuses a bad call
 * before any byte is stored, so a refused run leaves no orphan bytes behind.
 */
export function pagesRecordFor(pid: number, vaddr: bigint, length: number, offset: number): { objectId: string; pages: Pages } {
  if (length === 0 || length % PAGE_SIZE !== 0) throw new RangeError(`putPages: ${length} bytes is not a whole number of ${PAGE_SIZE}-byte pages`);
  const objectId = `pages:${pid}:${vaddr.toString(16)}`;
  const pages: Pages = { pid, vaddr, npages: length / PAGE_SIZE, offset: BigInt(offset), crc32: 0 };
  checkPayload('pages', objectId, pages);
  return { objectId, pages };
}
