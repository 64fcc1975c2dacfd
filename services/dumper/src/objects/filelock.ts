import type { FileLock } from '@ferry/proto';
import { FileLockKind, RegFileType, describeFileLock } from '@ferry/proto';
import { locksOfFdInfo, readMaps, readProcLocks, type ShownLock } from '@ferry/sys';
import type { DumpContext, TaskCollector, TreeCollector } from '../collector.js';
import { pidsOf } from '../tree.js';
import { fdInfosOf, seenTwin } from './file-kinds.js';

const KIND_OF = { flock: FileLockKind.FLOCK, posix: FileLockKind.POSIX, ofd: FileLockKind.OFD } as const;

// A flock or OFD lock belongs to its open file description, which every holder's fdinfo shows:
// one record per description and lock, whichever task showed it first.
const recordedOf = new WeakMap<DumpContext, Set<string>>();
// Every lock some descriptor of the tree showed, as /proc/locks lists it.
const shownOf = new WeakMap<DumpContext, Set<string>>();

function listedKey(l: ShownLock): string {
  return `${l.kind} ${l.exclusive} ${l.pid} ${l.dev}:${l.ino} ${l.start} ${l.end}`;
}

function memo(map: WeakMap<DumpContext, Set<string>>, dump: DumpContext): Set<string> {
  let set = map.get(dump);
  if (!set) map.set(dump, (set = new Set()));
  return set;
}

function toRecord(pid: number, fd: number, shown: ShownLock & { kind: keyof typeof KIND_OF }): FileLock {
  const length = shown.end === null ? 0n : shown.end - shown.start + 1n;
  return { pid, fd, kind: KIND_OF[shown.kind], exclusive: shown.exclusive, start: shown.kind === 'flock' ? 0n : shown.start, length: shown.kind === 'flock' ? 0n : length };
}

/**
 * The locks the task holds, through each of its descriptors (fdinfo's "lock:" lines). Without
 * --file-locks the first one fails the dump, as CRIU's does: a restored tree that silently lost
 * its locks would let another process into what they guard.
 */
export const fileLockCollector: TaskCollector = {
  name: 'file locks',
  async collect(task, dump, sink) {
    const pid = task.pid;
    const recorded = memo(recordedOf, dump);
    const shownLocks = memo(shownOf, dump);
    let count = 0;
    // The fdinfo the files collector read moments ago, in the same freeze: its "lock:" lines are current.
    for (const info of fdInfosOf(dump.files, pid)) {
      const fd = info.fd;
      const locks = locksOfFdInfo(info.text);
      if (locks.length === 0) continue;
      const file = seenTwin(dump.files, pid, info);
      for (const shown of locks) {
        shownLocks.add(listedKey(shown));
        const where = `${info.target} (fd ${fd} of pid ${pid})`;
        if (!(shown.kind in KIND_OF)) throw new Error(`pid ${pid} holds a ${shown.kind} on ${where}: not supported yet`);
        const record = toRecord(pid, fd, shown as ShownLock & { kind: keyof typeof KIND_OF });
        if (!dump.fileLocks) throw new Error(`pid ${pid} holds a ${describeFileLock(record)} on ${where}: dump with --file-locks to carry it`);
        if (file?.kind !== 'regfile' || file.payload.type !== RegFileType.REGULAR) {
          throw new Error(`pid ${pid} holds a ${describeFileLock(record)} on ${where}, which is not a regular file: not supported yet`);
        }
        if (shown.kind === 'posix' && shown.pid !== pid) {
          throw new Error(`pid ${pid} holds a ${describeFileLock(record)} on ${where} owned by pid ${shown.pid} (a shared descriptor table): not supported yet`);
        }
        const owner = shown.kind === 'posix' ? `pid ${pid}` : `file ${file.id}`;
        const key = `${owner} ${record.kind} ${record.exclusive} ${record.start} ${record.length}`;
        if (recorded.has(key)) continue;
        recorded.add(key);
        await sink.put('filelock', `lock:${pid}:${fd}:${count}`, record);
        count++;
      }
    }
    return `${count} file locks`;
  },
};

/** Where the tree maps the file DEV:INO, for messages: a path, else the inode. */
function mappedPath(pids: readonly number[], dev: string, ino: bigint): string {
  for (const pid of pids) {
    const mapped = readMaps(pid).find((m) => m.dev === dev && m.inode === ino && m.path.startsWith('/'));
    if (mapped) return mapped.path;
  }
  return `inode ${dev}:${ino}`;
}

/**
 * A POSIX or flock lock a task of the tree took that no descriptor of the tree shows: its file
 * is held only through a mapping (closed after mmap) or a descriptor in flight. It could not be
 * taken again through a descriptor, and a restore without it would silently drop it.
 */
export const locksBeyondDescriptorsCheck: TreeCollector = {
  name: 'file locks held through no descriptor',
  async collect(dump) {
    const pids = pidsOf(dump.tree);
    const tree = new Set(pids);
    const shown = memo(shownOf, dump);
    for (const l of readProcLocks()) {
      if (l.blocked || !tree.has(l.pid) || (l.kind !== 'posix' && l.kind !== 'flock') || shown.has(listedKey(l))) continue;
      const record = toRecord(l.pid, 0, l as ShownLock & { kind: keyof typeof KIND_OF });
      throw new Error(`pid ${l.pid} holds a ${describeFileLock(record)} on ${mappedPath(pids, l.dev, l.ino)} through no descriptor of the tree (a mapping or a descriptor in flight): not supported yet`);
    }
  },
};
