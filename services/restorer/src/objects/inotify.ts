import fs from 'node:fs';
import type { Inotify } from '@ferry/proto';
import { addInotifyWatch, createInotify, setNextInotifyWd, IN_DONT_FOLLOW, O_CLOEXEC, O_NONBLOCK } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';

/** Each watch again with the descriptor the program holds for it, in ascending order. */
function openInotify(n: Inotify): number {
  const fd = createInotify(O_CLOEXEC | (n.flags & O_NONBLOCK));
  try {
    for (const w of n.watches) {
      if (!fs.existsSync(w.path)) throw new Error(`inotify ${n.id}: ${w.path}, which its watch ${w.wd} watched, is gone`);
      setNextInotifyWd(fd, w.wd);
      const wd = addInotifyWatch(fd, w.path, (w.mask | IN_DONT_FOLLOW) >>> 0);
      if (wd !== w.wd) throw new Error(`inotify ${n.id}: the watch of ${w.path} came back as wd ${wd}, not ${w.wd}`);
    }
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

export const inotifyKind: ObjectKind = {
  name: 'inotify',
  files: (image) => image.byKind('inotify').map((f) => ({ id: f.id })),
  check: (image) => ({ open: (_ctx, opened) => { for (const n of image.byKind('inotify')) opened.set(n.id, openInotify(n)); } }),
};
