import fs from 'node:fs';
import type { EventFd } from '@ferry/proto';
import { checkedSyscall, SYS } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';

const EFD_SEMAPHORE = 1;
const EFD_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;

/** Opens every eventfd in ferry with its mode, and puts its counter back by writing it. */
function openEventFds(files: EventFd[], opened: Map<string, number>): void {
  for (const e of files) {
    const flags = EFD_CLOEXEC | (e.flags & O_NONBLOCK) | (e.semaphore ? EFD_SEMAPHORE : 0);
    const fd = checkedSyscall(`eventfd2 for ${e.id}`, SYS.eventfd2, 0, flags);
    opened.set(e.id, fd);
    if (e.count === 0n) continue;
    const value = Buffer.alloc(8);
    value.writeBigUInt64LE(e.count);
    fs.writeSync(fd, value);
  }
}

export const eventFdKind: ObjectKind = {
  name: 'eventfd',
  files: (image) => image.byKind('eventfd').map((f) => ({ id: f.id })),
  check: (image) => ({ open: (_ctx, opened) => openEventFds(image.byKind('eventfd'), opened) }),
};
