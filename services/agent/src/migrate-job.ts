import { spawn } from 'node:child_process';
import type { Job } from 'bullmq';
import type { AgentContext } from './context.js';
import type { MigrateJob, MigrationReport } from './jobs.js';

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
      } else {
        reject(new Error(lastError.replace(/^ferry migrate-source: /, '') || `the migration's dumper ended (${signal ?? `exit ${code}`})`));
      }
    });
  });
}
