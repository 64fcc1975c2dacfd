import type { EventPoll, Fd } from '@ferry/proto';
import { checkedSyscall, SYS } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind, TreeView } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy } from '../kind-records.js';

const EPOLL_CLOEXEC = 0o2000000;
const EPOLL_CTL_ADD = 1;

/** Opens every epoll instance, empty: its watch list needs the owner's fd numbers (see below). */
function openEventPolls(files: EventPoll[], opened: Map<string, number>): void {
  for (const e of files) {
    const fd = checkedSyscall(`epoll_create1 for ${e.id}`, SYS.epoll_create1, EPOLL_CLOEXEC);
    opened.set(e.id, fd);
  }
}

/** The owner must be a live task holding the epoll and every fd it watches, or the watch list cannot be rebuilt. */
function checkEventPolls(polls: EventPoll[], fdsOf: Map<number, Fd[]>, tree: TreeView): void {
  const orphan = polls.find((e) => !tree.isLive(e.ownerPid));
  if (orphan) throw new PlanError(`image: epoll ${orphan.id} names owner ${orphan.ownerPid}, which is not a live task of the tree`);
  for (const e of polls) {
    const fds = fdsOf.get(e.ownerPid) ?? [];
    if (!fds.some((f) => f.fileId === e.id)) throw new PlanError(`image: epoll ${e.id} names owner ${e.ownerPid}, which does not hold it`);
    const missing = e.targets.find((t) => !fds.some((f) => f.fd === t.fd));
    if (missing) throw new PlanError(`image: epoll ${e.id} watches fd ${missing.fd}, which pid ${e.ownerPid} does not have`);
  }
}

/**
 * Inside the owner, once its fds are back: epoll keys each watch by fd number and file, so the
 * watch is added by the task itself, under the numbers it will later modify or delete them by.
 */
function watchEventPollTargets(task: RestoringTask, polls: EventPoll[], fds: Fd[]): void {
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

/** After the fds in the registry: the owner re-adds the watches under its own fd numbers. */
export const eventPollKind: ObjectKind = {
  name: 'epoll',
  files: (image) => image.byKind('eventpoll').map((f) => ({ id: f.id })),
  check(image, tree) {
    const polls = image.byKind('eventpoll');
    const fdsOf = groupBy(image.byKind('fd'), (f) => f.pid);
    checkEventPolls(polls, fdsOf, tree);
    const owned = groupBy(polls, (e) => e.ownerPid);
    return {
      open: (_ctx, opened) => openEventPolls(polls, opened),
      perTask: { RESTORE: ({ task }) => watchEventPollTargets(task, owned.get(task.pid) ?? [], fdsOf.get(task.pid) ?? []) },
    };
  },
};
