// Starting workloads detached from the runner, watching them through /proc, and killing only
// what a test started.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { workload } from './build.js';

export interface LaunchOptions {
  /** Put the workload in a session of its own (setsid). */
  newSession?: boolean;
  stdin?: string;
  /** stdout and stderr go here (appended). */
  output?: string;
}

/** Starts PROGRAM as an orphan owned by init, holding only stdio; returns its pid once it has exec'd. */
export function launch(argv: string[], options: LaunchOptions = {}): number {
  const args: string[] = [];
  if (options.newSession) args.push('-s');
  if (options.stdin) args.push('-i', options.stdin);
  if (options.output) args.push('-o', options.output);
  const out = execFileSync(workload('launch'), [...args, '--', ...argv], { encoding: 'utf8' });
  return Number(out.trim());
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function alive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

export interface TaskStat { pid: number; comm: string; state: string; ppid: number; pgid: number; sid: number; threads: number }

export function readStat(pid: number): TaskStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).split(' ');
  return { pid, comm: text.slice(text.indexOf('(') + 1, close), state: f[0], ppid: +f[1], pgid: +f[2], sid: +f[3], threads: +f[17] };
}

export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

/** PID and all its descendants, parents first. */
export function treeOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try { out.push(...childrenOf(out[i])); } catch { /* went away */ }
  }
  return out;
}

export function threadsOf(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
}

export async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until PID no longer exists at all (not even as a zombie). */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  await waitUntil(`pid ${pid} to go away`, () => !fs.existsSync(`/proc/${pid}`), timeoutMs);
}

/** Waits until none of PIDS exists (a dumped tree, whose pids a restore takes again). */
export async function waitAllGone(pids: Iterable<number>, timeoutMs = 10_000): Promise<void> {
  for (const pid of pids) await waitGone(pid, timeoutMs);
}

/** Waits until FILE holds a line matching PATTERN, returning that line. */
export async function waitForLine(file: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  let found: string | undefined;
  await waitUntil(`${pattern} in ${file}`, () => {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    found = text.split('\n').find((l) => pattern.test(l));
    return found !== undefined;
  }, timeoutMs);
  return found!;
}

/** Kills the given pids (a test's own processes) and waits for them to be gone. */
export async function killAll(pids: Iterable<number>): Promise<void> {
  const list = [...pids];
  for (const pid of list) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  for (const pid of list) await waitGone(pid).catch(() => undefined);
}
