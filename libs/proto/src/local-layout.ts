import type { Pages } from './generated/messages.js';
import { PAGE_SIZE } from './limits.js';

// The files of a local image directory.
export const RECORDS_FILE = 'records.log';
export const PAGES_FILE = 'pages.img';

export function pagesLength(p: Pages): number {
  return p.npages * PAGE_SIZE;
}

export function describePages(p: Pages, seq?: number): string {
  return `pages record${seq === undefined ? '' : ` ${seq}`} (pid ${p.pid} at 0x${p.vaddr.toString(16)})`;
}
