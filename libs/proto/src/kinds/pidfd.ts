import type { PidFd } from '../generated/messages.js';
import { checkNotEmpty, checkPid, fail } from './checks.js';

/** What pidfd_open takes: PIDFD_NONBLOCK is O_NONBLOCK, PIDFD_THREAD is O_EXCL. */
export const PIDFD_OPEN_FLAGS = 0o4000 | 0o200;
const O_RDWR = 2;

export function validatePidFd(p: PidFd): void {
  checkNotEmpty(p.id, 'id');
  checkPid(p.pid, 'pid');
  if (p.flags & ~(PIDFD_OPEN_FLAGS | O_RDWR)) fail(`flags 0o${p.flags.toString(8)} are not pidfd flags (O_NONBLOCK, PIDFD_THREAD)`);
}
