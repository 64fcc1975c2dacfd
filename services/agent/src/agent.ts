import { rmSync } from 'node:fs';
import path from 'node:path';
import { Worker, type Job } from 'bullmq';
import type { Log } from '@ferry/restorer';
import type { RedisConfig } from '@ferry/restorer/bullmq';
import { reapDeadChildrenExcept } from '@ferry/sys';
import { announcePresence, agentKey } from './presence.js';
import { runRestoreJob } from './restore-job.js';
import { runMigrateJob } from './migrate-job.js';
import { runCheckpointJob } from './checkpoint-job.js';
import { AgentPages } from './pages.js';
import { agentWorkDir } from './work-dir.js';
import { CHECKPOINT_JOB, hostPrefix, JOB_QUEUE } from './jobs.js';
import type { AgentContext, MigrationSourceRequest } from './context.js';
import type { Faults, NatsSettings } from './options.js';

type JobRunner = (job: Job, agent: AgentContext) => Promise<unknown>;

const RUNNERS: Record<string, JobRunner> = {
  restore: runRestoreJob,
  migrate: runMigrateJob,
  [CHECKPOINT_JOB]: runCheckpointJob,
};

const REAP_MS = 200;

export interface AgentOptions {
  /** The host it serves: its queues are under hostPrefix(host). */
  host: string;
  redis: RedisConfig;
  nats: NatsSettings;
  /** Where migrations to this host send their pages over TCP; undefined: through the image server. */
  pageStream?: { host: string; port: number };
  log: Log;
  /** Says what the operator should know (a job failed, Redis or NATS away). */
  say: (line: string) => void;
  /** A distributed stage not done by then fails. */
  stageTimeoutMs: number;
  /** Pages received for a migration wait this long for its restore job (see AgentPagesOptions). */
  pagesUnclaimedMs: number;
  faults: Faults;
  /**
   * The command line of a migration's source process (its program first): a process of its own,
   * in a session of its own, that runs runMigrationSource and prints its report as a JSON line.
   */
  migrationSourceCommand: (request: MigrationSourceRequest) => string[];
}

/**
 * A host's agent. Jobs arrive on the host's queue; one runs at a time on the main thread (ptrace
 * needs it). Restored roots are the agent's children: it reaps them when they end, as init would.
 */
export class Agent {
  private constructor(
    private readonly worker: Worker,
    private readonly pages: AgentPages | undefined,
    private readonly stopAnnouncing: () => void,
    private readonly reaper: NodeJS.Timeout,
  ) {}

  static async start(o: AgentOptions): Promise<Agent> {
    const prefix = hostPrefix(o.host);
    // Copies fetched by an agent that was killed mid-restore: nobody else removes them.
    rmSync(agentWorkDir(o.host), { recursive: true, force: true });
    const pages = o.pageStream && (await AgentPages.start({
      host: o.host, listen: o.pageStream, nats: o.nats, dir: path.join(agentWorkDir(o.host), 'incoming-pages'), unclaimedMs: o.pagesUnclaimedMs, say: o.say,
    }));
    const context: AgentContext = {
      host: o.host, redis: o.redis, nats: o.nats, log: o.log, stageTimeoutMs: o.stageTimeoutMs, faults: o.faults,
      migrationSourceCommand: o.migrationSourceCommand, spawned: new Set(), pages,
    };
    const worker = new Worker(JOB_QUEUE, async (job) => {
      const run = RUNNERS[job.name];
      if (!run) throw new Error(`agent ${o.host} does not take ${job.name} jobs`);
      return run(job, context);
    }, {
      connection: o.redis.options,
      prefix,
      concurrency: 1,
      // A job whose agent died is never run again: its migration has been decided by then.
      maxStalledCount: 0,
    });
    // Redis going away is reported and retried by BullMQ; an unheard 'error' would end the agent.
    worker.on('error', (e) => o.say(e.message.split('\n')[0]!));
    worker.on('failed', (job, e) => o.say(`job ${job?.name} ${job?.id} failed: ${e.message.split('\n')[0]}`));
    await worker.waitUntilReady();
    const stopAnnouncing = announcePresence(o.redis.options, agentKey(o.host));
    const reaper = setInterval(() => reapDeadChildrenExcept(context.spawned), REAP_MS);
    return new Agent(worker, pages, stopAnnouncing, reaper);
  }

  /** host:port of the page stream; undefined when it is off. */
  get pageStreamAddress(): string | undefined {
    return this.pages?.address;
  }

  /** Takes no more jobs, lets the one running finish, and no longer says it is there. */
  async stop(): Promise<void> {
    await this.worker.close();
    this.stopAnnouncing();
    clearInterval(this.reaper);
    await this.pages?.close();
  }
}
