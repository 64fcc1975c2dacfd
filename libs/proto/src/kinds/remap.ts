import type { Remap } from '../generated/messages.js';
import { checkNotEmpty, checkPid } from './checks.js';

export function validateRemap(r: Remap): void {
  checkNotEmpty(r.fileId, 'file_id');
  checkPid(r.pid, 'pid');
}
