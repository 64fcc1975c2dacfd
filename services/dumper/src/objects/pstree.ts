import type { Task } from '@ferry/proto';
import { readStat } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TreeCollector } from '../collector.js';

function describeTask(task: FrozenTask): Task {
  const stat = readStat(task.pid);
  return { pid: task.pid, ppid: stat.ppid, pgid: stat.pgid, sid: stat.sid, threads: task.threads.map((t) => t.tid), zombie: false, exitStatus: 0, zombieComm: '' };
}

function describeZombie(pid: number): Task {
  const stat = readStat(pid);
  return { pid, ppid: stat.ppid, pgid: stat.pgid, sid: stat.sid, threads: [pid], zombie: true, exitStatus: stat.exitCode, zombieComm: stat.comm };
}

/** Live tasks first, then the zombies, each under its pid. */
export const pstreeCollector: TreeCollector = {
  name: 'process tree',
  async collect(dump, sink) {
    for (const task of dump.tree.tasks) await sink.put('pstree', `task:${task.pid}`, describeTask(task));
    for (const pid of dump.tree.zombies) await sink.put('pstree', `task:${pid}`, describeZombie(pid));
  },
};
