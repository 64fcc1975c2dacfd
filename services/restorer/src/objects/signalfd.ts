import type { SignalFd } from '@ferry/proto';
import { createSignalFd, O_CLOEXEC, O_NONBLOCK } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';

function openSignalFds(files: SignalFd[], opened: Map<string, number>): void {
  for (const s of files) opened.set(s.id, createSignalFd(s.mask, O_CLOEXEC | (s.flags & O_NONBLOCK)));
}

export const signalFdKind: ObjectKind = {
  name: 'signalfd',
  files: (image) => image.byKind('signalfd').map((f) => ({ id: f.id })),
  check: (image) => ({ open: (_ctx, opened) => openSignalFds(image.byKind('signalfd'), opened) }),
};
