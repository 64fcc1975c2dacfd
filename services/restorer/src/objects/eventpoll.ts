import type { EventPoll, Fd } from '@ferry/proto';
import { checkedSyscall, SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;

/** Opens every epoll instance, empty: its watch list needs the owner's fd numbers (see below). */
export function openEventPolls(files: EventPoll[], opened: Map<string, number>): void {
  for (const e of files) {
    const fd = checkedSyscall(`epoll_create1 for ${e.id}`, SYS.epoll_create1, EPOLL_CLOEXEC);
    opened.set(e.id, fd);
  }
}

/** The owner must hold the epoll and every fd it watches, or the watch list cannot be rebuilt. */
export function checkEventPolls(polls: EventPoll[], fds: Fd[]): void {
  for (const e of polls) {
    if (!fds.some((f) => f.fileId === e.id)) throw new Error(`image: epoll ${e.id} names owner ${e.ownerPid}, which does not hold it`);
    const missing = e.targets.find((t) => !fds.some((f) => f.fd === t.fd));
    if (missing) throw new Error(`image: epoll ${e.id} watches fd ${missing.fd}, which pid ${e.ownerPid} does not have`);
  }
}

/**
 * Inside the owner, once its fds are back: epoll keys each watch by fd number and file, so the
 * watch is added by the task itself, under the numbers it will later modify or delete them by.
 */
export function watchEventPollTargets(task: RestoringTask, polls: EventPoll[], fds: Fd[]): void {
  const inj = task.injector;
  for (const e of polls) {
    const epfd = fds.find((f) => f.fileId === e.id)!.fd;
    for (const t of e.targets) {
      const event = Buffer.alloc(12); // struct epoll_event is packed on x86_64
      event.writeUInt32LE(t.events, 0);
      event.writeBigUInt64LE(t.data, 4);
      inj.resetScratch();
      inj.call(`epoll_ctl ADD of fd ${t.fd} to epoll fd ${epfd}`, SYS.epoll_ctl, epfd, EPOLL_CTL_ADD, t.fd, inj.put(event));
    }
  }
}
