import { readSysvMsgQueues, readSysvSemSets, semaphoreLastPids, SysError, type SysvSemSet } from '@ferry/sys';
import type { TreeCollector } from '../collector.js';
import { pidsOf } from '../tree.js';

const keyName = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `key 0x${(key >>> 0).toString(16)}`);
const WHY = 'ferry cannot carry System V semaphores or message queues (they belong to the IPC namespace, not to a process)';

/**
 * System V semaphores and message queues: no descriptor or mapping shows which ones a process
 * uses, so they are not carried. What the kernel does show, the pid of a semaphore's last semop
 * and of a queue's last send and receive, makes the dump fail when it is a process of the tree,
 * rather than give back a program whose semaphore or queue is gone or stale. A set the tree
 * used before someone else's later call goes unseen.
 */
const EINVAL = 22, EIDRM = 43;

/** The last pids of SET's semaphores; none for a set removed since /proc listed it. */
function lastPids(set: SysvSemSet): number[] {
  try {
    return semaphoreLastPids(set);
  } catch (e) {
    if (e instanceof SysError && (e.errno === EINVAL || e.errno === EIDRM)) return [];
    throw e;
  }
}

export const sysvSemMsgCollector: TreeCollector = {
  name: 'System V semaphores and message queues',
  async collect(dump) {
    const pids = new Set(pidsOf(dump.tree));
    for (const set of readSysvSemSets()) {
      const user = lastPids(set).find((pid) => pids.has(pid));
      if (user !== undefined) throw new Error(`pid ${user} uses System V semaphore set ${set.id} (${keyName(set.key)}): ${WHY}`);
    }
    for (const q of readSysvMsgQueues()) {
      const user = [q.lspid, q.lrpid].find((pid) => pids.has(pid));
      if (user !== undefined) throw new Error(`pid ${user} uses System V message queue ${q.id} (${keyName(q.key)}): ${WHY}`);
    }
  },
};
