import { spawn } from 'node:child_process';
import type { Job } from 'bullmq';
import { releaseAbandonedConnections } from '@ferry/dumper';
import type { AgentContext } from './context.js';
import type { MigrateJob, MigrationReport } from './jobs.js';

const KILL_SHOWS_MS = 100;

/**
 * A migration job on the source host. The dump and the hold run in a process of their own, in its
 * own session: if this agent dies, the frozen tree is still decided for (the process reports to
 * Redis), rather than released half-dumped or killed with no copy running anywhere.
 */
export function runMigrateJob(job: Job<MigrateJob, MigrationReport>, agent: AgentContext): Promise<MigrationReport> {
  const [program, ...args] = agent.migrationSourceCommand({ ...job.data, from: agent.host });
  const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  agent.spawned.add(child.pid!);
  let out = '';
  let lastError = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d: Buffer) => {
    process.stderr.write(d);
    const lines = d.toString().trim().split('\n');
    lastError = lines[lines.length - 1] ?? lastError;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      agent.spawned.delete(child.pid!);
      if (code === 0) {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as MigrationReport);
        return;
      }
      const why = lastError.replace(/^ferry migrate-source: /, '') || `the migration's dumper ended (${signal ?? `exit ${code}`})`;
      // Killed: it could not give back what it held itself.
      const given = signal === null ? Promise.resolve(null) : giveBackConnections(job.data, announcedCheckpoint(out));
      void given.then((left) => reject(new Error(left ? `${why}: pid ${job.data.pid} runs on here, the ${left} connection(s) it held given back` : why)));
    });
  });
}

/** The checkpoint the dumper said it writes (its first line), if it got that far. */
function announcedCheckpoint(out: string): string | undefined {
  const first = out.split('\n')[0]!;
  try {
    return (JSON.parse(first) as { checkpointId?: string }).checkpointId;
  } catch {
    return undefined;
  }
}

/**
 * A dumper killed before its commit leaves the tree running on with the connections it took in
 * repair mode, under its lock: nobody else would give them back. Null if there was nothing to do.
 */
async function giveBackConnections(job: MigrateJob, checkpointId: string | undefined): Promise<number | null> {
  if (!job.tcpEstablished || checkpointId === undefined) return null;
  // A dumper that died after its commit killed its tree: let that show before looking.
  await new Promise((r) => setTimeout(r, KILL_SHOWS_MS));
  try {
    return releaseAbandonedConnections(job.pid, checkpointId);
  } catch (e) {
    process.stderr.write(`ferry agent: could not give back the connections of pid ${job.pid}: ${(e as Error).message}\n`);
    return null;
  }
}
