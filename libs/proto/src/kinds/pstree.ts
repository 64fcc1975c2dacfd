import { checkPid, checkPidOrZero, checkUnique, fail } from './checks.js';

/** One task (thread group) of the dumped tree. Object id: "task:PID". */
export interface Task {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Thread ids, the leader first. */
  threads: number[];
  /** Dead, not yet reaped: only the ids and the wait status remain. */
  zombie: boolean;
  /** For zombies: the wait status (exit code << 8, or the signal) the parent will collect. */
  exitStatus: number;
  /** For zombies: the name ps shows. */
  zombieComm: string;
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
  if (t.exitStatus > 0xffff) fail(`exit status ${t.exitStatus} is not a wait status`);
  if (t.zombie && t.threads.length !== 1) fail('a zombie has no threads but its leader');
  if (Buffer.byteLength(t.zombieComm) > 15) fail(`zombie name ${JSON.stringify(t.zombieComm)} is longer than 15 bytes`);
  if (t.threads[0] !== t.pid) fail(`threads must start with the leader ${t.pid}, not ${t.threads[0] ?? 'nothing'}`);
  t.threads.forEach((tid, i) => checkPid(tid, `threads[${i}]`));
  checkUnique(t.threads, 'threads');
}
