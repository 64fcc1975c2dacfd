import { listFds, type FdInfo } from '@ferry/sys';
import type { EventPollTarget } from '@ferry/proto';
import type { FileObject } from './file-kinds.js';

const O_ACCMODE = 3;
const TARGET = /^tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)\s+data:\s*([0-9a-f]+)/gm;

/**
 * An epoll instance with its watch list, from fdinfo. Targets are fd numbers of this task; one
 * it has closed since (the file living on elsewhere) cannot be re-added and is refused.
 */
export function describeEventPoll(pid: number, info: FdInfo, id: string): FileObject | string | null {
  if (info.target !== 'anon_inode:[eventpoll]') return null;
  const open = new Set(listFds(pid));
  const targets: EventPollTarget[] = [];
  for (const m of info.text.matchAll(TARGET)) {
    const fd = Number(m[1]);
    if (!open.has(fd)) return `${info.target} (an epoll watching fd ${fd}, which pid ${pid} has closed)`;
    targets.push({ fd, events: parseInt(m[2]!, 16) >>> 0, data: BigInt(`0x${m[3]}`) });
  }
  return { kind: 'eventpoll', id, payload: { id, flags: info.flags & O_ACCMODE, ownerPid: pid, targets } };
}
