import type { EventFd } from '../generated/messages.js';
import { checkNotEmpty, fail } from './checks.js';

const O_NONBLOCK = 0o4000;
const O_RDWR = 2;
/** The kernel refuses to hold more: a write that would reach it blocks. */
const EVENTFD_MAX = 0xfffffffffffffffen;

export function validateEventFd(e: EventFd): void {
  checkNotEmpty(e.id, 'id');
  if (e.count > EVENTFD_MAX) fail(`count ${e.count} exceeds what an eventfd holds`);
  if (e.flags & ~(O_NONBLOCK | O_RDWR)) fail(`flags 0o${e.flags.toString(8)} are not eventfd flags`);
}
