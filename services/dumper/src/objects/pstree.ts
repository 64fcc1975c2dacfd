import type { Task } from '@ferry/proto';
import { readStat, listThreads } from '@ferry/sys';

export function collectTask(pid: number): Task {
  const stat = readStat(pid);
  return { pid, ppid: stat.ppid, pgid: stat.pgid, sid: stat.sid, threads: listThreads(pid) };
}
