import type { EventPoll } from '../generated/messages.js';
import { FD_LIMIT } from '../limits.js';
import { checkNotEmpty, checkPid, fail } from './checks.js';

const O_RDWR = 2;

export function validateEventPoll(e: EventPoll): void {
  checkNotEmpty(e.id, 'id');
  checkPid(e.ownerPid, 'owner_pid');
  if (e.flags & ~O_RDWR) fail(`flags 0o${e.flags.toString(8)} are not epoll flags`);
  if (e.targets.length > FD_LIMIT) fail(`${e.targets.length} targets is more than a task can have fds`);
  const fds = new Set<number>();
  for (const t of e.targets) {
    if (t.fd >= FD_LIMIT) fail(`target fd ${t.fd} is not below ${FD_LIMIT}`);
    if (fds.has(t.fd)) fail(`target fd ${t.fd} is watched twice`);
    fds.add(t.fd);
  }
}
