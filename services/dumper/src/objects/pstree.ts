import type { Task } from '@ferry/proto';
import { readStat } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';

export function describeTask(task: FrozenTask): Task {
  const stat = readStat(task.pid);
  return { pid: task.pid, ppid: stat.ppid, pgid: stat.pgid, sid: stat.sid, threads: task.threads.map((t) => t.tid), zombie: false, exitStatus: 0, zombieComm: '' };
}

export function describeZombie(pid: number): Task {
  const stat = readStat(pid);
  return { pid, ppid: stat.ppid, pgid: stat.pgid, sid: stat.sid, threads: [pid], zombie: true, exitStatus: stat.exitCode, zombieComm: stat.comm };
}
