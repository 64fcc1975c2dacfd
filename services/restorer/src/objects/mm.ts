import type { Mm } from '@ferry/proto';
import { SYS, AT_FDCWD } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import { takeMappedFile } from './mapped-files.js';

const PR_SET_MM = 35;
const PR_SET_MM_MAP = 14;
const PRCTL_MM_MAP_SIZE = 104;
const O_RDONLY_CLOEXEC = 0o2000000;

/** Code, data, brk, stack, arguments, environment, auxv and the exe link, in one PR_SET_MM_MAP. */
export function restoreMm(task: RestoringTask, mm: Mm, opened: ReadonlyMap<string, number>): void {
  const inj = task.injector;
  inj.resetScratch();
  // A deleted program's path opens nothing (or a newer version): the link goes to its re-made ghost.
  const exeFd = mm.exeFileId !== ''
    ? takeMappedFile(task, opened, mm.exeFileId)
    : inj.call(`open of the program ${mm.exePath}`, SYS.openat, AT_FDCWD, inj.putString(mm.exePath), O_RDONLY_CLOEXEC, 0);
  try {
    const auxv = inj.put(mm.auxv);
    const map = Buffer.alloc(PRCTL_MM_MAP_SIZE);
    [mm.startCode, mm.endCode, mm.startData, mm.endData, mm.startBrk, mm.brk, mm.startStack,
      mm.argStart, mm.argEnd, mm.envStart, mm.envEnd, auxv].forEach((v, i) => map.writeBigUInt64LE(v, i * 8));
    map.writeUInt32LE(mm.auxv.length, 96);
    map.writeUInt32LE(Number(exeFd), 100);
    inj.call('prctl(PR_SET_MM_MAP)', SYS.prctl, PR_SET_MM, PR_SET_MM_MAP, inj.put(map), PRCTL_MM_MAP_SIZE, 0);
  } finally {
    inj.raw(SYS.close, exeFd);
  }
}
