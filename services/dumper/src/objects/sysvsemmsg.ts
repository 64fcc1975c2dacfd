import { messageQueueBytes, queuedMessages, readSysvMsgQueues, readSysvSemSets, semaphoreLastPids, semaphoreValues, SysError, type SysvSemSet } from '@ferry/sys';
import type { SysvMsg, SysvSem } from '@ferry/proto';
import type { TreeCollector } from '../collector.js';
import { pidsOf } from '../tree.js';

const keyName = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `key 0x${(key >>> 0).toString(16)}`);
const WHY = 'dump with --sysv-ipc to carry it';

/**
 * System V semaphores and message queues: no descriptor or mapping shows which ones a process
 * uses. What the kernel does show, the pid of a semaphore's last semop and of a queue's last send
 * and receive, tells the ones the tree used last: with --sysv-ipc they are carried, without it
 * the dump fails rather than give back a program whose semaphore or queue is gone or stale. A set
 * the tree used before someone else's later call goes unseen.
 */
const EINVAL = 22, EIDRM = 43;

/** Runs READ on an object that may have been removed since /proc listed it (undefined then). */
function unlessRemoved<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (e instanceof SysError && (e.errno === EINVAL || e.errno === EIDRM)) return undefined;
    throw e;
  }
}

const lastPids = (set: SysvSemSet) => unlessRemoved(() => semaphoreLastPids(set)) ?? [];

export const sysvSemMsgCollector: TreeCollector = {
  name: 'System V semaphores and message queues',
  async collect(dump, sink) {
    const pids = new Set(pidsOf(dump.tree));
    for (const set of readSysvSemSets()) {
      const user = lastPids(set).find((pid) => pids.has(pid));
      if (user === undefined) continue;
      if (!dump.sysvIpc) throw new Error(`pid ${user} uses System V semaphore set ${set.id} (${keyName(set.key)}): ${WHY}`);
      const values = unlessRemoved(() => semaphoreValues(set.id, set.nsems));
      if (!values) continue;
      const record: SysvSem = { id: set.id, key: set.key, mode: set.mode & 0o777, uid: set.uid, gid: set.gid, values };
      await sink.put('sysvsem', `sysvsem:${set.id}`, record);
    }
    for (const q of readSysvMsgQueues()) {
      const user = [q.lspid, q.lrpid].find((pid) => pids.has(pid));
      if (user === undefined) continue;
      if (!dump.sysvIpc) throw new Error(`pid ${user} uses System V message queue ${q.id} (${keyName(q.key)}): ${WHY}`);
      // The tree is frozen, but a process outside it may still send or take between the two reads.
      const read = unlessRemoved(() => ({ qbytes: messageQueueBytes(q.id), messages: queuedMessages(q.id, q.qnum) }));
      if (!read) continue;
      const record: SysvMsg = { id: q.id, key: q.key, mode: q.mode & 0o777, uid: q.uid, gid: q.gid, ...read };
      await sink.put('sysvmsg', `sysvmsg:${q.id}`, record);
    }
  },
};
