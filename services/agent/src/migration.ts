// A migration as whoever asks for it sees it: a job on the source host's queue, and its outcome.
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import type { HostQueue } from './host-queue.js';
import { present, agentKey, migrationSourceKey } from './presence.js';
import { readOutcome } from './migration-outcome.js';
import type { MigrateJob, MigrationProgress, MigrationReport } from './jobs.js';

const WATCH_MS = 1000;

/**
 * Queues the migration of PID to host TO on SOURCE (opened with events), which dumps the tree to
 * the image server and holds it frozen while TO's agent restores it; the tree dies on the source
 * once it runs on TO, and runs on at the source if TO fails or does not answer in time.
 */
export async function migrate(source: HostQueue, o: Omit<MigrateJob, 'migrationId'>, onProgress: (p: MigrationProgress) => void): Promise<MigrationReport> {
  const migrationId = randomUUID();
  source.events!.on('progress', ({ jobId, data }) => {
    if (jobId === migrationId) onProgress(data as MigrationProgress);
  });
  const data: MigrateJob = { ...o, migrationId };
  const job = await source.queue.add('migrate', data, { jobId: migrationId, removeOnComplete: true, removeOnFail: true });
  return outcomeOf(job, source, migrationId);
}

/**
 * The migration's report, from its job or, if the source's agent died meanwhile, from the outcome
 * its dumper left in Redis; a rejection if it failed, or if neither the agent nor the dumper is
 * there to finish.
 */
async function outcomeOf(job: Job<MigrateJob, MigrationReport>, source: HostQueue, migrationId: string): Promise<MigrationReport> {
  const { client, host: from } = source;
  let timer: NodeJS.Timeout | undefined;
  const watched = new Promise<MigrationReport>((resolve, reject) => {
    let absent = 0;
    timer = setInterval(() => {
      void (async () => {
        const outcome = await readOutcome(client, migrationId);
        if (outcome) return outcome.ok ? resolve(outcome.report) : reject(new Error(outcome.error));
        const someone = (await present(client, agentKey(from))) || (await present(client, migrationSourceKey(migrationId)));
        // Twice in a row: the outcome is written just before the dumper's presence goes.
        absent = someone ? 0 : absent + 1;
        if (absent >= 2) reject(new Error(`the agent of host ${from} stopped before the migration ended, and nothing reports its outcome: look at pid ${job.data.pid} on ${from}`));
      })().catch(() => { /* Redis is away: try again */ });
    }, WATCH_MS);
  });
  try {
    return await Promise.race([job.waitUntilFinished(source.events!) as Promise<MigrationReport>, watched]);
  } finally {
    clearInterval(timer);
  }
}
