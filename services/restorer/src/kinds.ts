import type { ObjectKind } from './object-kind.js';
import { externalKind } from './objects/external.js';
import { remapKind } from './objects/remap.js';
import { regularFileKind } from './objects/regfile.js';
import { pipeKind } from './objects/pipe.js';
import { eventFdKind } from './objects/eventfd.js';
import { timerFdKind } from './objects/timerfd.js';
import { signalFdKind } from './objects/signalfd.js';
import { inotifyKind } from './objects/inotify.js';
import { unixSocketKind } from './objects/unix-socket.js';
import { sysvShmKind } from './objects/sysvshm.js';
import { sysvSemKind } from './objects/sysvsem.js';
import { sysvMsgKind } from './objects/sysvmsg.js';
import { inetSocketKind } from './objects/inet-socket.js';
import { memoryKind } from './objects/memory.js';
import { fdKind } from './objects/fd.js';
import { eventPollKind } from './objects/eventpoll.js';
import { ttyKind } from './objects/tty.js';
import { procAttrsKind } from './objects/procattrs.js';
import { signalsKind } from './objects/signals.js';
import { posixTimersKind } from './objects/posixtimers.js';
import { itimersKind } from './objects/itimers.js';
import { credsKind } from './objects/creds.js';
import { pidFdKind } from './objects/pidfd.js';
import { memFdKind } from './objects/memfd.js';
import { ghostKind } from './objects/ghost.js';
import { fileLockKind } from './objects/filelock.js';

/**
 * Every kind of object the restorer brings back but the tree itself (pstree and core records,
 * which the Restoration forks). Their order is the order of their work in every stage: the
 * caller's descriptors are taken before anything is opened, dead-pid helpers exist before the
 * regular files under their /proc open, System V segments exist before a task attaches them, and
 * a task gets its memory, then its fds and pidfds, then its epoll watches (which name those fds),
 * then its attributes and signal handlers; its timers start late, once its signals are blocked,
 * and before its credentials change. File locks come
 * after every descriptor is in place: closing any descriptor of a file in a task drops the POSIX
 * locks the task holds on it, and the fd work closes descriptors it used on the way.
 */
export const KINDS: readonly ObjectKind[] = [
  externalKind,
  remapKind,
  regularFileKind,
  ghostKind,
  pipeKind,
  eventFdKind,
  timerFdKind,
  signalFdKind,
  inotifyKind,
  memFdKind,
  unixSocketKind,
  sysvShmKind,
  sysvSemKind,
  sysvMsgKind,
  inetSocketKind,
  memoryKind,
  fdKind,
  pidFdKind,
  eventPollKind,
  ttyKind,
  procAttrsKind,
  signalsKind,
  posixTimersKind,
  itimersKind,
  fileLockKind,
  credsKind,
];
