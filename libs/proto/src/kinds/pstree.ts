import { checkPid, checkPidOrZero, checkUnique, fail } from './checks.js';

/** One task (thread group) of the dumped tree. Object id: "task:PID". */
export interface Task {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Thread ids, the leader first. */
  threads: number[];
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    pstree: Task;
  }
}

export function validateTask(t: Task): void {
  checkPid(t.pid, 'pid');
  checkPidOrZero(t.ppid, 'ppid');
  checkPidOrZero(t.pgid, 'pgid');
  checkPidOrZero(t.sid, 'sid');
  if (t.threads[0] !== t.pid) fail(`threads must start with the leader ${t.pid}, not ${t.threads[0] ?? 'nothing'}`);
  t.threads.forEach((tid, i) => checkPid(tid, `threads[${i}]`));
  checkUnique(t.threads, 'threads');
}
