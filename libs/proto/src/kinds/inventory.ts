import type { Inventory } from '../generated/messages.js';
import { FORMAT_VERSION, PAGE_SIZE } from '../limits.js';
import { checkNotEmpty, checkPid, fail } from './checks.js';

export function validateInventory(inv: Inventory): void {
  checkNotEmpty(inv.checkpointId, 'checkpointId');
  if (inv.formatVersion !== FORMAT_VERSION) fail(`formatVersion ${inv.formatVersion} is not supported (this build reads ${FORMAT_VERSION})`);
  checkPid(inv.rootPid, 'rootPid');
  // Page records count 4096-byte pages; another page size would misplace every one of them.
  if (inv.pageSize !== PAGE_SIZE) fail(`pageSize ${inv.pageSize} is not supported (only ${PAGE_SIZE})`);
}
