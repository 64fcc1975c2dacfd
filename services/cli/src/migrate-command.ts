import type { Command } from 'commander';
import { Queue, QueueEvents } from 'bullmq';
import { dump } from '@ferry/dumper';
import { redisConfig } from '@ferry/restorer/bullmq';
import { natsOption } from './nats-options.js';
import { dumpTarget } from './dump-target.js';
import { makeLogger } from './logger.js';
import { fail } from './fail.js';
import { claimTree } from './takeover.js';
import { pidArg } from './pid-arg.js';
import { hostPrefix, JOB_QUEUE, thisHost, type RestoreJob, type RestoreJobResult } from './host-jobs.js';

const TAKE_OVER_TIMEOUT_MS = Number(process.env.FERRY_MIGRATE_TIMEOUT_MS ?? 120_000);

/**
 * `ferry migrate --to b --pid PID`, run on the source host: the tree is dumped to the image
 * server and held frozen while b's agent restores it; it dies once b reports the copy running,
 * and runs on here if b fails or does not answer in time: one copy runs afterwards, never two.
 */
export function registerMigrate(program: Command): void {
  natsOption(program
    .command('migrate')
    .description('move a process tree to another host: frozen here until it runs there')
    .requiredOption('--pid <pid>', 'the root of the tree to move', pidArg)
    .requiredOption('--to <host>', 'the host whose agent takes it')
    .option('--from <host>', 'this host (checked against $FERRY_HOST or the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .option('--json', 'print the summary as one JSON line')
    .option('-v, --verbose', 'show each step on stderr'))
    .action(async (o) => {
      const redis = redisConfig(o.redis ?? process.env.FERRY_REDIS_URL);
      let queue: Queue | undefined, events: QueueEvents | undefined, target: Awaited<ReturnType<typeof dumpTarget>> | undefined;
      try {
        if (o.from !== undefined && o.from !== thisHost()) throw new Error(`this is host ${thisHost()}, not ${o.from}: run migrate on the source host`);
        queue = new Queue<RestoreJob, RestoreJobResult>(JOB_QUEUE, { connection: redis.options, prefix: hostPrefix(o.to) });
        events = new QueueEvents(JOB_QUEUE, { connection: redis.options, prefix: hostPrefix(o.to) });
        await events.waitUntilReady();
        target = await dumpTarget({ imageServer: true, nats: o.nats });
        let restoredPid = 0;
        let stageMs: Record<string, number> = {};
        const t0 = performance.now();
        const summary = await dump({
          pid: o.pid,
          ...target.options,
          log: makeLogger(!!o.verbose),
          holdUntil: async (checkpointId) => {
            const job = await queue!.add('restore', { checkpointId }, { removeOnComplete: true, removeOnFail: true });
            let result: RestoreJobResult;
            try {
              result = (await job.waitUntilFinished(events!, TAKE_OVER_TIMEOUT_MS)) as RestoreJobResult;
            } catch (e) {
              // Not started yet: it never will be. Started: the target asks before it releases the tree.
              await job.remove().catch(() => {});
              if ((await claimTree(redis.options, checkpointId, 'source')) !== 'target') throw e;
              process.stderr.write(`ferry migrate: ${o.to} took the tree over without reporting it (${(e as Error).message})\n`);
              return 'kill';
            }
            restoredPid = result.pid;
            stageMs = result.stageMs;
            return 'kill';
          },
        });
        const ms = performance.now() - t0;
        const report = {
          pid: o.pid, to: o.to, pidThere: restoredPid, checkpointId: summary.checkpointId, processes: summary.tasks,
          pageBytes: Number(summary.pageBytes), downtimeMs: Math.round(summary.frozenMs), totalMs: Math.round(ms), stageMs,
        };
        process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : describeMigration(report));
      } catch (e) {
        fail('migrate', e);
      } finally {
        await target?.close();
        await events?.close().catch(() => {});
        await queue?.close().catch(() => {});
      }
    });
}

function describeMigration(r: { pid: number; to: string; pidThere: number; checkpointId: string; processes: number; pageBytes: number; downtimeMs: number; totalMs: number; stageMs: Record<string, number> }): string {
  return `migrated pid ${r.pid} to ${r.to} (pid ${r.pidThere} there): checkpoint ${r.checkpointId}, ${r.processes} processes, ` +
    `${(r.pageBytes / 1048576).toFixed(1)} MiB of pages, downtime ${r.downtimeMs} ms, total ${r.totalMs} ms\n` +
    `stages on ${r.to}: ${Object.entries(r.stageMs).map(([stage, t]) => `${stage} ${t.toFixed(1)} ms`).join(', ')}\n`;
}
