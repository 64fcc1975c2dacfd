// The steps the single-process tests repeat: dump and wait for the pid to be free, restore
// detached, and ask a self-checking workload (workloads/check.h) for its verdict.
import { ferryOk, type FerryResult } from './ferry.js';
import { waitGone } from './processes.js';
import type { Output } from './output.js';

/** Dumps PID into DIR (killing it, unless EXTRA says --leave-running) and waits until it is gone if killed. */
export async function dump(pid: number, dir: string, extra: string[] = []): Promise<FerryResult> {
  const result = await ferryOk(['dump', '-t', String(pid), '-D', dir, ...extra]);
  if (!extra.includes('--leave-running')) await waitGone(pid);
  return result;
}

export function restoreDetached(dir: string, extra: string[] = []): Promise<FerryResult> {
  return ferryOk(['restore', '-D', dir, '-d', ...extra]);
}

/** Dumps PID and restores it detached: afterwards the same pid runs the restored process. */
export async function dumpAndRestore(pid: number, dir: string): Promise<void> {
  await dump(pid, dir);
  await restoreDetached(dir);
}

/** Sends SIGUSR1 and returns the workload's next verdict line ("check ok" or "check failed: ..."). */
export function askCheck(pid: number, output: Output): Promise<string> {
  process.kill(pid, 'SIGUSR1');
  return output.next(/^check/);
}
