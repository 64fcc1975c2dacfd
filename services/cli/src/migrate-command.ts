import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Job } from 'bullmq';
import { natsOption } from './nats-options.js';
import { fail } from './fail.js';
import { pidArg } from './pid-arg.js';
import { present, agentKey, migrationSourceKey } from './agent-presence.js';
import { readOutcome } from './migration-outcome.js';
import { progressDisplay } from './migrate-progress.js';
import { HostQueue } from './host-queue.js';
import { hostPrefix, thisHost, type MigrateJob, type MigrationProgress, type MigrationReport } from './host-jobs.js';

const WATCH_MS = 1000;

/**
 * `ferry migrate --from a --to b --pid PID`: queues the migration on a's agent, which dumps the
 * tree to the image server and holds it frozen while b's agent restores it; the tree dies on a once
 * it runs on b, and runs on at a if b fails or does not answer in time: one copy runs afterwards.
 */
export function registerMigrate(program: Command): void {
  natsOption(program
    .command('migrate')
    .description('move a process tree from one host to another: frozen on the first until it runs on the second')
    .requiredOption('--pid <pid>', 'the root of the tree to move (a pid on the source host)', pidArg)
    .requiredOption('--to <host>', 'the host whose agent takes it')
    .option('--from <host>', 'the host it runs on, whose agent dumps it (default $FERRY_HOST, else the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .option('--keep-checkpoint', 'send the pages through the image server, which then keeps the whole checkpoint (restorable later, anywhere); slower: by default they go straight to the target, and the server keeps the records only')
    .option('--json', 'progress and the summary as JSON lines on stdout'))
    .action(async (o) => {
      const from: string = o.from ?? thisHost();
      let source: HostQueue | undefined;
      const display = progressDisplay(!!o.json);
      try {
        if (from === o.to) throw new Error(`the tree is on ${from} already`);
        hostPrefix(o.to);
        source = await HostQueue.open(from, o.redis, { agentNeeded: true, events: true });
        const migrationId = randomUUID();
        source.events!.on('progress', ({ jobId, data }) => {
          if (jobId === migrationId) display.update(data as MigrationProgress);
        });
        const job = await source.queue.add('migrate', { pid: o.pid, to: o.to, migrationId, keepCheckpoint: !!o.keepCheckpoint }, { jobId: migrationId, removeOnComplete: true, removeOnFail: true });
        const report = await outcomeOf(job, source, migrationId);
        display.stop();
        process.stdout.write(o.json ? `${JSON.stringify({ event: 'migrated', ...report })}\n` : describeMigration(report));
      } catch (e) {
        display.stop();
        fail('migrate', e);
      } finally {
        await source?.close();
      }
    });
}

/**
 * The migration's report, from its job or, if agent a died meanwhile, from the outcome its dumper
 * left in Redis; a rejection if it failed, or if neither the agent nor the dumper is there to finish.
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

function describeMigration(r: MigrationReport): string {
  return `migrated pid ${r.pid} from ${r.from} to ${r.to} (pid ${r.pidThere} there): checkpoint ${r.checkpointId}, ${r.processes} processes, ` +
    `${(r.pageBytes / 1048576).toFixed(1)} MiB of pages ${r.pagesVia} at ${(r.pageRate / 1048576).toFixed(0)} MiB/s, downtime ${r.downtimeMs} ms, total ${r.totalMs} ms\n` +
    `stages on ${r.to}: ${Object.entries(r.stageMs).map(([stage, t]) => `${stage} ${t.toFixed(1)} ms`).join(', ')}\n`;
}
