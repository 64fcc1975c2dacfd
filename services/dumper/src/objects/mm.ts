import fs from 'node:fs';
import type { Mm } from '@ferry/proto';
import { readStat, SYS } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';

/** The current program break is only known to the task itself: brk(0) returns it. */
function currentBrk(task: FrozenTask): bigint {
  return task.injecting(task.pid, { scratch: false }, (inj) => inj.call('brk', SYS.brk, 0));
}

function collectMm(task: FrozenTask): Mm {
  const pid = task.pid;
  const stat = readStat(pid);
  const exe = fs.readlinkSync(`/proc/${pid}/exe`);
  if (exe.endsWith(' (deleted)')) throw new Error(`pid ${pid}: its program ${exe} was deleted; not supported yet`);
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
  };
}

export const mmCollector: TaskCollector = {
  name: 'mm',
  async collect(task, _dump, sink) {
    await sink.put('mm', `mm:${task.pid}`, collectMm(task));
  },
};
