import type { Job } from 'bullmq';
import { restore, type Participant, type Stage, type StageBarrier } from '@ferry/restorer';
import { BullStages, stageQueue } from '@ferry/restorer/bullmq';
import { fetchCheckpointCopy } from './fetched-checkpoint.js';
import { agentWorkDir } from './work-dir.js';
import { claimTree } from './takeover.js';
import type { AgentContext } from './context.js';
import type { RestoreJob, RestoreJobResult } from './jobs.js';

/**
 * A restore job: fetch the checkpoint (only its records when a migration sent the pages here
 * already) and restore it here, the stages as flows on this host's stage
 * queue (a child job per participant), each stage announced as the job's progress.
 */
export async function runRestoreJob(job: Job<RestoreJob, RestoreJobResult>, agent: AgentContext): Promise<RestoreJobResult> {
  const pagesFile = await agent.pages?.take(job.data.checkpointId);
  const source = await fetchCheckpointCopy({ checkpointId: job.data.checkpointId, nats: agent.nats, workDir: agentWorkDir(agent.host), pagesFile });
  const stages = await BullStages.open(agent.redis, stageQueue(agent.host), { timeoutMs: agent.stageTimeoutMs, log: agent.log, faults: agent.faults.stages });
  try {
    // A migration's source holds its tree until somebody claims it; a stored checkpoint has no source.
    const beforeRelease = async () => {
      if ((await claimTree(agent.redis.options, job.data.checkpointId, 'target')) !== 'target') throw new Error('the source took the tree back (migration timed out)');
    };
    // The fetched copy is this restore's own: its pages may be freed as they go in.
    const restored = await restore({ dir: source.dir, log: agent.log, beforeRelease, consumePages: true, tcpEstablished: job.data.tcpEstablished }, announcing(stages, (stage) => {
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
