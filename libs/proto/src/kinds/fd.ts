import type { Fd } from '../generated/messages.js';
import { FD_LIMIT } from '../limits.js';
import { checkNotEmpty, checkPid, fail } from './checks.js';

export function validateFd(f: Fd): void {
  checkPid(f.pid, 'pid');
  if (f.fd >= FD_LIMIT) fail(`fd ${f.fd} is not below ${FD_LIMIT}`);
  checkNotEmpty(f.fileId, 'fileId');
}
