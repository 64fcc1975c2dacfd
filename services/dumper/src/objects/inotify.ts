import fs from 'node:fs';
import type { InotifyWatch } from '@ferry/proto';
import { copyFdOf, parseInotifyWatches, queuedBytes, watchedPath, type FdInfo } from '@ferry/sys';
import type { FileObject } from './file-kinds.js';

const O_NONBLOCK = 0o4000;

function eventsQueued(pid: number, fd: number): number {
  const copy = copyFdOf(pid, fd);
  try {
    return queuedBytes(copy);
  } finally {
    fs.closeSync(copy);
  }
}

/**
 * An inotify instance: each watch with the path of the file it watches (found from the watch's
 * file handle) and its mask. Events the program has not read cannot be put back in a queue, so an
 * instance holding some is refused.
 */
export function describeInotify(pid: number, info: FdInfo, id: string): FileObject | string | null {
  if (info.target !== 'anon_inode:inotify') return null;
  const queued = eventsQueued(pid, info.fd);
  if (queued > 0) return `inotify with ${queued} bytes of events not yet read, which ferry cannot queue again`;
  const watches: InotifyWatch[] = [];
  for (const w of parseInotifyWatches(info.text)) {
    let path: string;
    try {
      path = watchedPath(pid, w);
    } catch (e) {
      return `inotify watching inode ${w.ino} (wd ${w.wd}), whose path cannot be found: ${(e as Error).message}`;
    }
    watches.push({ wd: w.wd, path, mask: w.mask, ino: w.ino, sdev: w.sdev });
  }
  return { kind: 'inotify', id, payload: { id, flags: info.flags & O_NONBLOCK, watches } };
}
