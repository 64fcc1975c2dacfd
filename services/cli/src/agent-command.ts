import { rmSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Worker, type Job } from 'bullmq';
import { reapDeadChildrenExcept } from '@ferry/sys';
import { natsOption } from './nats-options.js';
import { redisOf } from './config.js';
import { makeLogger } from './logger.js';
import { fail } from './fail.js';
import { announcePresence, agentKey } from './agent-presence.js';
import { runRestoreJob, type AgentContext } from './agent-restore-job.js';
import { runMigrateJob } from './agent-migrate-job.js';
import { agentWorkDir } from './restore-source.js';
import { runCheckpointJob } from './agent-checkpoint-job.js';
import { AgentPages } from './agent-pages.js';
import { pageStreamArg } from './page-stream-arg.js';
import { hostPrefix, JOB_QUEUE, thisHost } from './host-jobs.js';

type JobRunner = (job: Job, agent: AgentContext) => Promise<unknown>;

const RUNNERS: Record<string, JobRunner> = {
  restore: runRestoreJob,
  migrate: runMigrateJob,
  checkpoint: runCheckpointJob,
};

/**
 * `ferry agent --host NAME`: serves a host. Jobs arrive on the host's queue; one runs at a time on
 * the main thread (ptrace needs it). Restored roots are the agent's children: it reaps them when
 * they end, as init would.
 */
export function registerAgent(program: Command): void {
  natsOption(program
    .command('agent')
    .description('serve a host: run the jobs of its queue (migrations from and to it, checkpoints, restores of stored checkpoints)')
    .option('--host <name>', 'the host this agent serves (default $FERRY_HOST, else the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .option('--page-stream <host:port>', 'where migrations to this host send their pages over TCP: an address the source hosts can reach (port 0: any free one); "off": through the image server', '127.0.0.1:0')
    .option('-v, --verbose', 'show each step on stderr'))
    .action(async (o) => {
      try {
        const host = o.host ?? thisHost();
        const prefix = hostPrefix(host);
        // Copies fetched by an agent that was killed mid-restore: nobody else removes them.
        rmSync(agentWorkDir(host), { recursive: true, force: true });
        const redis = redisOf(o.redis);
        const say = (line: string) => process.stderr.write(`ferry agent ${host}: ${line}\n`);
        const listen = pageStreamArg(o.pageStream);
        const pages = listen && (await AgentPages.start({ host, listen, nats: o.nats, dir: path.join(agentWorkDir(host), 'incoming-pages'), say }));
        const agent: AgentContext = { host, redis, redisUrl: o.redis, nats: o.nats, log: makeLogger(!!o.verbose), verbose: !!o.verbose, spawned: new Set(), pages };
        const worker = new Worker(JOB_QUEUE, async (job) => {
          const run = RUNNERS[job.name];
          if (!run) throw new Error(`agent ${host} does not take ${job.name} jobs`);
          return run(job, agent);
        }, {
          connection: redis.options,
          prefix,
          concurrency: 1,
          // A job whose agent died is never run again: its migration has been decided by then.
          maxStalledCount: 0,
        });
        // Redis going away is reported and retried by BullMQ; an unheard 'error' would end the agent.
        worker.on('error', (e) => say(e.message.split('\n')[0]!));
        worker.on('failed', (job, e) => say(`job ${job?.name} ${job?.id} failed: ${e.message.split('\n')[0]}`));
        await worker.waitUntilReady();
        announcePresence(redis.options, agentKey(host));
        setInterval(() => reapDeadChildrenExcept(agent.spawned), 200);
        process.stdout.write(`agent ${host} ready${pages ? `, page stream on ${pages.address}` : ''}\n`);
      } catch (e) {
        fail('agent', e);
      }
    });
}
