import type { Task } from '../generated/messages.js';
import { checkPid, checkPidOrZero, checkUnique, fail } from './checks.js';

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
