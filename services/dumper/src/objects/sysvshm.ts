import type { SysvShm, Vma } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import { readSysvShm, sharesIpcNamespace, SHM_DEST } from '@ferry/sys';
import type { TreeCollector } from '../collector.js';
import { vmasOf } from './vma.js';

const keyName = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `key 0x${(key >>> 0).toString(16)}`);

/**
 * The System V shared memory segments the tree has attached: their key, id, size, owner and
 * mode; their contents go with the pages of their attaches. A segment also attached outside
 * the tree is refused: after a restore the two sides would no longer share it.
 */
export const sysvShmCollector: TreeCollector = {
  name: 'System V shared memory',
  async collect(dump, sink) {
    const attaches = new Map<number, { pid: number; vmas: Vma[] }[]>();
    for (const task of dump.tree.tasks) {
      const vmas = vmasOf(task).filter((v) => v.kind === VmaKind.SYSV_SHM);
      if (vmas.length === 0) continue;
      if (!sharesIpcNamespace(task.pid)) throw new Error(`pid ${task.pid} attaches System V shared memory in an IPC namespace of its own, which ferry does not carry`);
      for (const v of vmas) {
        const id = Number(v.shmid);
        const list = attaches.get(id) ?? [];
        const mine = list.find((a) => a.pid === task.pid);
        if (mine) mine.vmas.push(v); else list.push({ pid: task.pid, vmas: [v] });
        attaches.set(id, list);
      }
    }
    if (attaches.size === 0) return;
    const segments = new Map(readSysvShm().map((s) => [s.id, s]));
    for (const [id, list] of attaches) {
      const seg = segments.get(id);
      if (!seg) throw new Error(`pid ${list[0]!.pid}: System V segment ${id} it attaches is not in /proc/sysvipc/shm`);
      // The kernel counts an attach per mapping (a split one counts for each part).
      const inTree = list.reduce((n, a) => n + a.vmas.length, 0);
      if (seg.nattch > inTree) {
        throw new Error(`System V segment ${id} (${keyName(seg.key)}) is attached ${seg.nattch} times, ${inTree} of them in the tree: a process outside it shares the segment`);
      }
      const record: SysvShm = {
        id, key: seg.key, size: seg.size, mode: seg.mode & 0o777, uid: seg.uid, gid: seg.gid, cuid: seg.cuid, cgid: seg.cgid,
        removed: (seg.mode & SHM_DEST) !== 0,
      };
      await sink.put('sysvshm', `sysvshm:${id}`, record);
    }
  },
};
