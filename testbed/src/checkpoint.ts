// The steps the tests repeat: dump a tree and wait for its pids to be free, restore it detached
// (or attached, waiting for it), and ask a self-checking workload (workloads/check.h) for its
// verdict. Each takes the flags and ferry options a test varies; what a test checks about a
// failing command it runs with ferry() itself.
import fs from 'node:fs';
import { ferry, ferryOk, type FerryOptions, type FerryResult } from './ferry.js';
import { treeOf, waitAllGone, waitUntil } from './processes.js';
import type { Output } from './output.js';

const leavesRunning = (args: string[]) => args.includes('--leave-running');

/**
 * Dumps the tree of PID into DIR (`ferry dump -t PID -D DIR EXTRA...`). Unless EXTRA says
 * --leave-running, waits until every process the tree had before the dump is gone, so that a
 * restore can take their pids again.
 */
export async function dump(pid: number, dir: string, extra: string[] = [], options: FerryOptions = {}): Promise<FerryResult> {
  const tree = treeOf(pid);
  const result = await ferryOk(['dump', '-t', String(pid), '-D', dir, ...extra], options);
  if (!leavesRunning(extra)) await waitAllGone(tree);
  return result;
}

/**
 * Dumps the tree of PID to the image server that ENV's NATS reaches, waiting as dump() does;
 * returns the checkpoint's id.
 */
export async function dumpToImageServer(pid: number, env: Record<string, string>, extra: string[] = []): Promise<string> {
  const tree = treeOf(pid);
  const result = await ferryOk(['dump', '-t', String(pid), '--image-server', ...extra], { env });
  if (!leavesRunning(extra)) await waitAllGone(tree);
  return result.stdout.trim();
}

/** `ferry restore -D DIR -d EXTRA...`: the tree runs again, detached, once it resolves. */
export function restoreDetached(dir: string, extra: string[] = [], options: FerryOptions = {}): Promise<FerryResult> {
  return ferryOk(['restore', '-D', dir, '-d', ...extra], options);
}

/** `ferry restore --checkpoint ID -d EXTRA...` from the image server that ENV's NATS reaches. */
export function restoreCheckpointDetached(id: string, env: Record<string, string>, extra: string[] = []): Promise<FerryResult> {
  return ferryOk(['restore', '--checkpoint', id, '-d', ...extra], { env });
}

export interface DumpAndRestoreOptions {
  /** More flags for `ferry dump` (-j, --inherit-fd ...); --leave-running makes no sense here. */
  dumpArgs?: string[];
  /** More flags for `ferry restore` (-j, --inherit-fd, --stages ...). */
  restoreArgs?: string[];
  /** How `ferry restore` runs: the descriptors handed to it, its environment. */
  restoreWith?: FerryOptions;
}

/** Dumps the tree of PID and restores it detached: afterwards the same pids run the restored tree. */
export async function dumpAndRestore(pid: number, dir: string, options: DumpAndRestoreOptions = {}): Promise<FerryResult> {
  await dump(pid, dir, options.dumpArgs);
  return restoreDetached(dir, options.restoreArgs, options.restoreWith);
}

/**
 * Restores DIR without -d, as a user waiting for the program would: once the process is back (its
 * pid in PIDFILE) runs WHILE_RUNNING with that pid; resolves with ferry's end (the program's exit).
 */
export async function restoreAttached(dir: string, pidfile: string, whileRunning: (pid: number) => void = () => {}): Promise<FerryResult> {
  let ended = false;
  const ending = ferry(['restore', '-D', dir, '--pidfile', pidfile]).finally(() => (ended = true));
  const written = () => fs.existsSync(pidfile) && /^\d+\n$/.test(fs.readFileSync(pidfile, 'utf8'));
  await waitUntil('the pidfile or the end of ferry', () => ended || written());
  if (written()) whileRunning(Number(fs.readFileSync(pidfile, 'utf8')));
  return ending;
}

/** Sends SIGUSR1 and returns the workload's next verdict line ("check ok" or "check failed: ..."). */
export function askCheck(pid: number, output: Output): Promise<string> {
  process.kill(pid, 'SIGUSR1');
  return output.next(/^check/);
}
