// Occupying a chosen pid, to test what ferry does when a pid it needs is taken.
import { execFileSync } from 'node:child_process';
import { workload } from './build.js';

/** Starts `sleep 1000` with pid PID, an orphan owned by init; fails if the pid stays taken. */
export function launchWithPid(pid: number): number {
  return Number(execFileSync(workload('take-pid'), [String(pid)], { encoding: 'utf8' }).trim());
}
