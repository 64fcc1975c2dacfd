import type { ObjectKind } from './object-kind.js';
import { externalKind } from './objects/external.js';
import { remapKind } from './objects/remap.js';
import { regularFileKind } from './objects/regfile.js';
import { pipeKind } from './objects/pipe.js';
import { eventFdKind } from './objects/eventfd.js';
import { inetSocketKind } from './objects/inet-socket.js';
import { memoryKind } from './objects/memory.js';
import { fdKind } from './objects/fd.js';
import { eventPollKind } from './objects/eventpoll.js';
import { ttyKind } from './objects/tty.js';
import { procAttrsKind } from './objects/procattrs.js';
import { signalsKind } from './objects/signals.js';
import { credsKind } from './objects/creds.js';

/**
 * Every kind of object the restorer brings back but the tree itself (pstree and core records,
 * which the Restoration forks). Their order is the order of their work in every stage: the
 * caller's descriptors are taken before anything is opened, dead-pid helpers exist before the
 * regular files under their /proc open, and a task gets its memory, then its fds, then its epoll
 * watches (which name those fds), then its attributes and signal handlers.
 */
export const KINDS: readonly ObjectKind[] = [
  externalKind,
  remapKind,
  regularFileKind,
  pipeKind,
  eventFdKind,
  inetSocketKind,
  memoryKind,
  fdKind,
  eventPollKind,
  ttyKind,
  procAttrsKind,
  signalsKind,
  credsKind,
];
