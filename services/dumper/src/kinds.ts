import type { TaskCollector, TreeCollector } from './collector.js';
import type { FileDescriber } from './objects/file-kinds.js';
import { pstreeCollector } from './objects/pstree.js';
import { procAttrsCollector } from './objects/procattrs.js';
import { credsCollector } from './objects/creds.js';
import { fdCollector } from './objects/fd.js';
import { fileLockCollector, locksBeyondDescriptorsCheck } from './objects/filelock.js';
import { signalsCollector } from './objects/signals.js';
import { posixTimersCollector } from './objects/posixtimers.js';
import { itimersCollector } from './objects/itimers.js';
import { coreCollector } from './objects/core.js';
import { mmCollector } from './objects/mm.js';
import { vmaCollector } from './objects/vma.js';
import { pagesCollector } from './objects/pages.js';
import { ttyCollector } from './objects/tty.js';
import { sysvShmCollector } from './objects/sysvshm.js';
import { sysvSemMsgCollector } from './objects/sysvsemmsg.js';
import { describeExternal } from './objects/external.js';
import { describePipe } from './objects/pipe.js';
import { describeEventFd } from './objects/eventfd.js';
import { describeUnixSocket } from './objects/unix-socket.js';
import { describeEventPoll } from './objects/eventpoll.js';
import { describeTimerFd } from './objects/timerfd.js';
import { describeSignalFd } from './objects/signalfd.js';
import { describeInotify } from './objects/inotify.js';
import { describeTtyFile } from './objects/ttyfile.js';
import { describeRegularFile } from './objects/regfile.js';
import { describePidFd } from './objects/pidfd.js';
import { describeUncarried } from './objects/uncarried.js';
import { describeMemFd } from './objects/memfd.js';
import { describeGhost } from './objects/ghost.js';
import { describeInetSocket } from './objects/inet-socket.js';

// Each list runs in its order, and that order is the order of the records in the stream.

/** Whole-tree kinds written before any task's (and the refusal of what the tree uses that cannot be carried). */
export const treeCollectorsBeforeTasks: readonly TreeCollector[] = [pstreeCollector, sysvSemMsgCollector];

/** Every task's records, the task's own kinds one after the other; pages need the mappings written before them. */
export const taskCollectors: readonly TaskCollector[] = [
  procAttrsCollector,
  credsCollector,
  fdCollector,
  fileLockCollector,
  signalsCollector,
  posixTimersCollector,
  itimersCollector,
  coreCollector,
  mmCollector,
  vmaCollector,
  pagesCollector,
];

/** Whole-tree kinds that need every task's files or mappings known. */
export const treeCollectorsAfterTasks: readonly TreeCollector[] = [ttyCollector, sysvShmCollector, locksBeyondDescriptorsCheck];

/**
 * The kinds of open files a descriptor may be on: the first that knows it describes it. External
 * objects come first: what the user left outside the checkpoint is not looked into.
 */
export const fileDescribers: readonly FileDescriber[] = [
  describeExternal,
  describeUncarried,
  describePipe,
  describeEventFd,
  describeUnixSocket,
  describeInetSocket,
  describeEventPoll,
  describeTimerFd,
  describeSignalFd,
  describeInotify,
  describeTtyFile,
  describePidFd,
  describeMemFd,
  describeGhost,
  describeRegularFile,
];
