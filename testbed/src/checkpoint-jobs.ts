// For the tests of checkpoint jobs and restores by an agent: the pause-clock workload on host a,
// what `ferry checkpoints --host` lists, and waits on it.
import fs from 'node:fs';
import { workload } from './build.js';
import { ferryOk } from './ferry.js';
import { sleep, waitForLine, waitUntil } from './processes.js';
import { startOnA, type Cluster } from './cluster.js';
import { ImageServerProcess } from './image-server.js';

export interface Listed {
  checkpoints: { checkpointId: string; workload: string; rootPid: number; createdAt: string; committed: boolean; size: number }[];
  schedules: { host: string; schedule: string; pid: number; everyMs: number; keep?: number; runs: number; nextRun?: string }[];
  jobs: { host: string; job: string; schedule?: string; pid: number; status: string; attempts: number; time?: string; checkpointId?: string; pageBytes?: number; reason?: string }[];
}

/** `ferry checkpoints --json --host HOST...`. */
export async function listed(c: Cluster, hosts = ['a']): Promise<Listed> {
  const r = await ferryOk(['checkpoints', '--json', ...hosts.flatMap((h) => ['--host', h])], { env: c.env });
  return JSON.parse(r.stdout) as Listed;
}

/** Polls CHECK (which may ask ferry things) until it holds. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface PauseClock {
  pid: number;
  /** Its output: "ready", then a "ticks N paused-at MS for MS" line per SIGUSR1. */
  out: string;
}

/** The pause-clock workload, started on a (the test's to kill) and ready. */
export async function startPauseClock(c: Cluster, name = 'pause-clock'): Promise<PauseClock> {
  const out = c.scratch.path(`${name}-out`);
  const pid = startOnA(c, [workload('pause-clock')], out);
  await waitForLine(out, /^ready/);
  return { pid, out };
}

export interface Pause { ticks: number; pausedAt: number; pausedFor: number }

/** Asks the copy of the workload known here as PID (on a, or our pid of one on b) how it has been. */
export async function askPause(pid: number, out: string): Promise<Pause> {
  const earlier = reports(out).length;
  process.kill(pid, 'SIGUSR1');
  await waitUntil(`a report from pid ${pid}`, () => reports(out).length > earlier);
  const line = reports(out)[earlier]!;
  const m = /^ticks (\d+) paused-at (\d+) for (\d+)$/.exec(line);
  if (!m) throw new Error(`not a report: ${line}`);
  return { ticks: Number(m[1]), pausedAt: Number(m[2]), pausedFor: Number(m[3]) };
}

function reports(out: string): string[] {
  return fs.readFileSync(out, 'utf8').split('\n').slice(0, -1).filter((l) => l.startsWith('ticks'));
}

/** A pid no process has here now. */
export function freePid(): number {
  const max = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 1; ; pid--) if (!fs.existsSync(`/proc/${pid}`)) return pid;
}

/**
 * Runs BODY with the cluster's image server replaced by one on the same store whose page stream
 * listens on b's link address, which dumpers on both sides reach (the cluster's listens on
 * loopback: agent b could restore, not dump). Stops it when BODY ends.
 */
export async function withPagesFromBoth(c: Cluster, body: () => Promise<void>): Promise<void> {
  await c.imageServer.stop();
  const server = await ImageServerProcess.start(c.store, c.env, [], c.b.ourAddress);
  try {
    await body();
  } finally {
    await server.stop();
  }
}
