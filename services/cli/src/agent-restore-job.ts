import type { Job } from 'bullmq';
import { restore, type Participant, type Stage, type StageBarrier } from '@ferry/restorer';
import { BullStages, stageQueue, type RedisConfig } from '@ferry/restorer/bullmq';
import type { Log } from '@ferry/restorer';
import { restoreSource, agentWorkDir } from './restore-source.js';
import { config } from './config.js';
import { claimTree } from './takeover.js';
import type { AgentPages } from './agent-pages.js';
import type { RestoreJob, RestoreJobResult } from './host-jobs.js';


export interface AgentContext {
  host: string;
  redis: RedisConfig;
  /** --redis and --nats as given, for the processes the agent starts. */
  redisUrl?: string;
  nats?: string;
  log: Log;
  verbose: boolean;
  /** Children node started (and reaps): the agent's own reaper leaves them alone. */
  spawned: Set<number>;
  /** Pages sent here by migrations' sources; absent with --page-stream off. */
  pages?: AgentPages;
}

/**
 * A restore job: fetch the checkpoint (only its records when a migration sent the pages here
 * already) and restore it here, the stages as flows on this host's stage
 * queue (a child job per participant), each stage announced as the job's progress.
 */
export async function runRestoreJob(job: Job<RestoreJob, RestoreJobResult>, agent: AgentContext): Promise<RestoreJobResult> {
  const pagesFile = await agent.pages?.take(job.data.checkpointId);
  const source = await restoreSource({ checkpoint: job.data.checkpointId, nats: agent.nats, workDir: agentWorkDir(agent.host), pagesFile });
  const stages = await BullStages.open(agent.redis, stageQueue(agent.host), { timeoutMs: config.stageTimeoutMs, log: agent.log, faults: config.faults.stages });
  try {
    // A migration's source holds its tree until somebody claims it; a stored checkpoint has no source.
    const beforeRelease = async () => {
      if ((await claimTree(agent.redis.options, job.data.checkpointId, 'target')) !== 'target') throw new Error('the source took the tree back (migration timed out)');
    };
    const restored = await restore({ dir: source.dir, log: agent.log, beforeRelease, consumePages: source.disposable }, announcing(stages, (stage) => {
      void job.updateProgress({ stage }).catch(() => {});
    }));
    return { pid: restored.pid, stageMs: restored.stageMs };
  } finally {
    await stages.close();
    await source.cleanup();
  }
}

function announcing(barrier: StageBarrier, onStage: (stage: Stage) => void): StageBarrier {
  return {
    reports: barrier.reports,
    run: (stage: Stage, participants: Participant[]) => {
      onStage(stage);
      return barrier.run(stage, participants);
    },
  };
}
