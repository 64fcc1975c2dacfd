import fs from 'node:fs';
import type { Mm } from '@ferry/proto';
import { readStat, SYS } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';
import type { DescribeContext, FileObject } from './file-kinds.js';
import { deletedProgramOf } from './mapped-files.js';

/** The current program break is only known to the task itself: brk(0) returns it. */
function currentBrk(task: FrozenTask): bigint {
  return task.injecting(task.pid, { scratch: false }, (inj) => inj.call('brk', SYS.brk, 0));
}

/** The ghost record of the task's program if it was deleted while running ('' when it was not), and the record if this task is first to name it. */
function exeGhost(pid: number, exe: string, files: DescribeContext): { exeFileId: string; fresh?: FileObject } {
  if (!exe.endsWith(' (deleted)')) return { exeFileId: '' };
  const program = deletedProgramOf(pid, exe, files);
  if (typeof program === 'string') throw new Error(`pid ${pid}: cannot carry ${program}`);
  return { exeFileId: program.file.id, fresh: program.fresh ? program.file : undefined };
}

function collectMm(task: FrozenTask, exe: string, exeFileId: string): Mm {
  const pid = task.pid;
  const stat = readStat(pid);
  return {
    pid,
    startCode: stat.startCode,
    endCode: stat.endCode,
    startData: stat.startData,
    endData: stat.endData,
    startBrk: stat.startBrk,
    brk: currentBrk(task),
    startStack: stat.startStack,
    argStart: stat.argStart,
    argEnd: stat.argEnd,
    envStart: stat.envStart,
    envEnd: stat.envEnd,
    auxv: fs.readFileSync(`/proc/${pid}/auxv`),
    exePath: exe,
    exeFileId,
  };
}

export const mmCollector: TaskCollector = {
  name: 'mm',
  async collect(task, dump, sink) {
    const exe = fs.readlinkSync(`/proc/${task.pid}/exe`);
    const { exeFileId, fresh } = exeGhost(task.pid, exe, dump.files);
    // Before the mm, which names it: the restorer opens files before it builds address spaces anyway.
    if (fresh) await sink.put(fresh.kind, fresh.id, fresh.payload as never);
    await sink.put('mm', `mm:${task.pid}`, collectMm(task, exe, exeFileId));
  },
};
