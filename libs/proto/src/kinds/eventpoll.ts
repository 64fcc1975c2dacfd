import { FD_LIMIT } from '../limits.js';
import { checkNotEmpty, checkPid, fail } from './checks.js';

export interface EventPollTarget {
  /** The watched fd, as numbered in the owner task. */
  fd: number;
  /** epoll_event.events, EPOLLET and the like included. */
  events: number;
  /** epoll_event.data, handed back by epoll_wait. */
  data: bigint;
}

/** An epoll instance and what it watches. Object id: "file:PID:FD" of the first fd seen on it. */
export interface EventPoll {
  id: string;
  flags: number;
  /** The task whose fd numbers the targets use: it re-adds them once its fds are back. */
  ownerPid: number;
  targets: EventPollTarget[];
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    eventpoll: EventPoll;
  }
}

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
