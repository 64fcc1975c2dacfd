// Runs the ferry command as a user would: its own process, our descriptors passed by number.
import { spawn } from 'node:child_process';
import { ferryBin as bin } from './paths.js';

export interface FerryResult { pid: number; status: number | null; stdout: string; stderr: string }

export interface FerryOptions {
  /** Descriptors the caller hands over: fd number in ferry -> our fd. */
  fds?: Record<number, number>;
  env?: Record<string, string>;
  /** Told ferry's pid as soon as it runs, for tests that kill it midway. */
  onSpawn?: (pid: number) => void;
  /** Told what ferry prints on stdout as it comes. */
  onStdout?: (chunk: string) => void;
}

export function ferry(args: string[], options: FerryOptions = {}): Promise<FerryResult> {
  const stdio: (number | 'pipe' | 'ignore')[] = ['ignore', 'pipe', 'pipe'];
  for (const [target, fd] of Object.entries(options.fds ?? {})) {
    while (stdio.length < Number(target)) stdio.push('ignore');
    stdio[Number(target)] = fd;
  }
  const child = spawn(process.execPath, [bin, ...args], { stdio, env: { ...process.env, ...options.env } });
  options.onSpawn?.(child.pid!);
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
    options.onStdout?.(String(d));
  });
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ pid: child.pid!, status, stdout, stderr }));
  });
}

/** Runs ferry and fails the test with its stderr unless it exits 0. */
export async function ferryOk(args: string[], options: FerryOptions = {}): Promise<FerryResult> {
  const r = await ferry(args, options);
  if (r.status !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r;
}
