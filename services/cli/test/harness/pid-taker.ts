// Occupying a chosen pid, to test what ferry does when a pid it needs is taken.
import fs from 'node:fs';
import { launch } from './processes.js';

/** Starts `sleep` with pid PID (through /proc/sys/kernel/ns_last_pid), or fails after a few tries. */
export function launchWithPid(pid: number): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    // launch forks once to make the workload: the next pid after ns_last_pid goes to that fork.
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 2));
    const got = launch(['sleep', '1000']);
    if (got === pid) return got;
    process.kill(got, 'SIGKILL');
  }
  throw new Error(`could not start a process with pid ${pid}`);
}
