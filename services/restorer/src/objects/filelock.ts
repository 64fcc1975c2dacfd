import type { FileLock, RegFile } from '@ferry/proto';
import { FileLockKind, RegFileType, describeFileLock } from '@ferry/proto';
import { F_OFD_SETLK, F_SETLK, LOCK_EX, LOCK_NB, LOCK_SH, SYS, errnoName, flockStruct } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { groupBy } from '../kind-records.js';

const O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1;
const EAGAIN = 11, EACCES = 13;

interface PlannedLock {
  lock: FileLock;
  path: string;
}

/**
 * Taken inside the task, on its own descriptor: a POSIX lock belongs to the process that takes
 * it, and flock and OFD locks to the description the descriptor shares. Never waits: a lock
 * someone else took since the dump fails the restore instead of hanging it.
 */
function takeLock(task: RestoringTask, { lock, path }: PlannedLock): void {
  const inj = task.injector;
  let ret: bigint;
  if (lock.kind === FileLockKind.FLOCK) {
    ret = inj.raw(SYS.flock, lock.fd, (lock.exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB);
  } else {
    inj.resetScratch();
    const arg = inj.put(flockStruct(lock.exclusive, lock.start, lock.length));
    ret = inj.raw(SYS.fcntl, lock.fd, lock.kind === FileLockKind.OFD ? F_OFD_SETLK : F_SETLK, arg);
  }
  if (ret >= 0n) return;
  const errno = Number(-ret);
  const why = errno === EAGAIN || errno === EACCES ? 'another process holds a conflicting lock on it now' : errnoName(errno);
  throw new Error(`pid ${lock.pid} cannot take its ${describeFileLock(lock)} on ${path} (fd ${lock.fd}) again: ${why}`);
}

/** Whether a lock of this mode may be set through a description opened with FLAGS (fcntl needs the matching access; flock any). */
function accessAllows(lock: FileLock, flags: number): boolean {
  if (lock.kind === FileLockKind.FLOCK) return true;
  const mode = flags & O_ACCMODE;
  return lock.exclusive ? mode !== O_RDONLY : mode !== O_WRONLY;
}

/** Locks on the tree's regular files (dump --file-locks), each taken again by its owner. */
export const fileLockKind: ObjectKind = {
  name: 'filelock',
  check(image, tree) {
    const fds = new Map(image.byKind('fd').map((f) => [`${f.pid}:${f.fd}`, f]));
    const regfiles = new Map<string, RegFile>(image.byKind('regfile').map((r) => [r.id, r]));
    const planned: PlannedLock[] = [];
    for (const lock of image.byKind('filelock')) {
      const what = `image: the ${describeFileLock(lock)} of pid ${lock.pid} on fd ${lock.fd}`;
      if (!tree.isLive(lock.pid)) throw new PlanError(`${what} belongs to no live task of the tree`);
      const fd = fds.get(`${lock.pid}:${lock.fd}`);
      if (!fd) throw new PlanError(`${what} is on a descriptor pid ${lock.pid} does not have`);
      const file = regfiles.get(fd.fileId);
      if (!file || file.type !== RegFileType.REGULAR) throw new PlanError(`${what} is on ${fd.fileId}, which is not a regular file`);
      if (!accessAllows(lock, file.flags)) throw new PlanError(`${what} cannot be set on ${file.path}, open ${(file.flags & O_ACCMODE) === O_RDONLY ? 'read-only' : 'write-only'}`);
      planned.push({ lock, path: file.path });
    }
    const locksOf = groupBy(planned, (p) => p.lock.pid);
    return { perTask: { RESTORE: ({ task }) => { for (const p of locksOf.get(task.pid) ?? []) takeLock(task, p); } } };
  },
};
