import type { FileLock } from '@ferry/proto';
import { FileLockKind, RegFileType, describeFileLock } from '@ferry/proto';
import { listFds, locksOfFdInfo, readFdInfo, sameOpenFile, type ShownLock } from '@ferry/sys';
import type { DumpContext, TaskCollector } from '../collector.js';

const KIND_OF = { flock: FileLockKind.FLOCK, posix: FileLockKind.POSIX, ofd: FileLockKind.OFD } as const;

// A flock or OFD lock belongs to its open file description, which every holder's fdinfo shows:
// one record per description and lock, whichever task showed it first.
const recordedOf = new WeakMap<DumpContext, Set<string>>();

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
    let recorded = recordedOf.get(dump);
    if (!recorded) recordedOf.set(dump, (recorded = new Set()));
    let count = 0;
    for (const fd of listFds(pid)) {
      const info = readFdInfo(pid, fd);
      const locks = locksOfFdInfo(info.text);
      if (locks.length === 0) continue;
      const file = dump.files.seen.find((s) => s.info.target === info.target && sameOpenFile(s.pid, s.info.fd, pid, fd))?.file;
      for (const shown of locks) {
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
