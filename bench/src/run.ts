// What every benchmark part needs: a scratch directory on tmpfs, compiled workloads started
// outside node's care, the real ferry command with its measurements, and cleanup by pid.
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { compileC, ferryBin } from '@ferry/testbed';

const here = path.dirname(new URL(import.meta.url).pathname);
const sources = path.resolve(here, '../../workloads');

/** FERRY_BENCH_ONLY=startup|memory|criu|trees|counts|sockets|barriers runs one part alone. */
export function wanted(part: 'startup' | 'memory' | 'criu' | 'trees' | 'counts' | 'sockets' | 'barriers'): boolean {
  const only = process.env.FERRY_BENCH_ONLY;
  return !only || only === part;
}

/** Images go to tmpfs so that the disk does not hide what ferry itself costs. */
export function newWorkDir(): string {
  return fs.mkdtempSync('/dev/shm/ferry-bench-');
}

export function compile(work: string, name: string, flags: string[] = []): string {
  const out = path.join(work, name);
  compileC(path.join(sources, `${name}.c`), out, ['-O2', ...flags]);
  return out;
}

/** What FERRY_STATS reports, plus the wall time of the whole command (node start-up included). */
export interface Stats { ms: number; pageBytes: number; peakRssKiB: number; pid: number; wallMs: number; stderr: string }

export function ferry(work: string, args: string[]): Stats {
  const statsFile = path.join(work, 'stats.json');
  const t = performance.now();
  const r = spawnSync(process.execPath, [ferryBin, ...args], { env: { ...process.env, FERRY_STATS: statsFile }, encoding: 'utf8' });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`ferry ${args.join(' ')} failed (${r.signal ? `killed by ${r.signal}` : `exit ${r.status}`}): ${r.stderr}`);
  const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as Omit<Stats, 'wallMs' | 'stderr'>;
  fs.rmSync(statsFile);
  return { ...stats, wallMs, stderr: r.stderr };
}

/**
 * Starts BIN ARGS... DIR detached (its own session, not kept alive by node) and returns its pid
 * once it has written DIR/ready.
 */
export async function startWorkload(work: string, bin: string, args: string[]): Promise<number> {
  const dir = fs.mkdtempSync(path.join(work, `${path.basename(bin)}-`));
  const child = spawn(bin, [...args, dir], { detached: true, stdio: 'ignore' });
  child.unref();
  const ready = path.join(dir, 'ready');
  while (!fs.existsSync(ready)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${bin} ended before it was ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return child.pid!;
}

/**
 * Waits until none of PIDS exists, not even as a zombie, so a restore can take them again. A
 * dumped workload that is our child is reaped by node on a later turn of the event loop, which
 * is why this waits asynchronously.
 */
export async function pidsFreed(pids: Iterable<number>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const pid of pids) {
    while (fs.existsSync(`/proc/${pid}`)) {
      if (Date.now() > deadline) throw new Error(`pid ${pid} is still there after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

export function killPids(pids: Iterable<number>): void {
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
