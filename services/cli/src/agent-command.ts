import type { Command } from 'commander';
import { Worker } from 'bullmq';
import { restore } from '@ferry/restorer';
import { BullStages, redisConfig, stageQueue } from '@ferry/restorer/bullmq';
import { reapDeadChildren } from '@ferry/sys';
import { natsOption } from './nats-options.js';
import { restoreSource } from './restore-source.js';
import { makeLogger } from './logger.js';
import { fail } from './fail.js';
import { claimTree } from './takeover.js';
import { hostPrefix, JOB_QUEUE, thisHost, type RestoreJob, type RestoreJobResult } from './host-jobs.js';

const STAGE_TIMEOUT_MS = Number(process.env.FERRY_STAGE_TIMEOUT_MS) || 60_000;

/**
 * `ferry agent --host NAME`: serves a host. Restore jobs arrive on the host's queue; one runs at a
 * time on the main thread (ptrace needs it). Restored roots are the agent's children: it reaps
 * them when they end, as init would.
 */
export function registerAgent(program: Command): void {
  natsOption(program
    .command('agent')
    .description('serve a host: run the restore jobs of its queue (migrations to it, stored checkpoints)')
    .option('--host <name>', 'the host this agent serves (default $FERRY_HOST, else the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .option('-v, --verbose', 'show each step on stderr'))
    .action(async (o) => {
      try {
        const host = o.host ?? thisHost();
        const redis = redisConfig(o.redis ?? process.env.FERRY_REDIS_URL);
        const log = makeLogger(!!o.verbose);
        const worker = new Worker<RestoreJob, RestoreJobResult>(JOB_QUEUE, async (job) => {
          if (job.name !== 'restore') throw new Error(`agent ${host} does not take ${job.name} jobs`);
          const source = await restoreSource({ checkpoint: job.data.checkpointId, nats: o.nats });
          // The restore's stages are flows on this host's stage queue, a child job per participant.
          const stages = await BullStages.open(redis, stageQueue(host), { timeoutMs: STAGE_TIMEOUT_MS, log });
          try {
            const beforeRelease = async () => {
              if ((await claimTree(redis.options, job.data.checkpointId, 'target')) !== 'target') throw new Error('the source took the tree back (migration timed out)');
            };
            const restored = await restore({ dir: source.dir, log, beforeRelease }, stages);
            return { pid: restored.pid, stageMs: restored.stageMs };
          } finally {
            await stages.close();
            await source.cleanup();
          }
        }, {
          connection: redis.options,
          prefix: hostPrefix(host),
          concurrency: 1,
          // A job whose agent died is never run again: its migration has resumed the source by then.
          maxStalledCount: 0,
        });
        // Redis going away is reported and retried by BullMQ; an unheard 'error' would end the agent.
        worker.on('error', (e) => process.stderr.write(`ferry agent ${host}: ${e.message.split('\n')[0]}\n`));
        worker.on('failed', (job, e) => process.stderr.write(`ferry agent ${host}: job ${job?.name} ${job?.id} failed: ${e.message.split('\n')[0]}\n`));
        await worker.waitUntilReady();
        setInterval(reapDeadChildren, 200);
        process.stdout.write(`agent ${host} ready\n`);
      } catch (e) {
        fail('agent', e);
      }
    });
}
