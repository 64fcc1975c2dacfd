import { Worker, type Job } from 'bullmq';
import type { RedisConfig, StageQueue } from './redis-config.js';
import { StageRegistry } from './stage-registry.js';
import type { Stage } from './stages.js';

/** What a stage job carries: names only; the work is looked up in the registry of the process. */
export interface StageJobData {
  restore: string;
  stage: Stage;
  /** Absent on the parent (the barrier) job. */
  participant?: string;
}

export const PARENT_JOB = 'stage';
export const CHILD_JOB = 'participant';

/**
 * Runs the stage jobs of one host's queue for the restores registered with it. Concurrency 1 and
 * the processor inline, on the main thread: participants make ptrace requests, which only the
 * tracing thread may make. Today each `ferry restore` runs its own; an agent on host b would run
 * one for every restore it performs, and the source host's dumper one on host a's queue for its
 * part. Two processes working one queue refuse each other's jobs, so on one host only one of them
 * may run at a time until the agent owns the queue.
 */
export class StageWorker {
  readonly registry = new StageRegistry();
  readonly worker: Worker<StageJobData>;

  constructor(readonly queue: StageQueue, redis: RedisConfig, lockMs: number) {
    this.worker = new Worker<StageJobData>(queue.name, (job) => this.process(job), {
      prefix: queue.prefix,
      connection: redis.options,
      concurrency: 1,
      // A participant's work is synchronous and may hold the event loop longer than the default
      // 30 s lock; the stage timeout is what bounds it.
      lockDuration: lockMs,
      autorun: true,
    });
  }

  private async process(job: Job<StageJobData>): Promise<void> {
    const { restore, stage, participant } = job.data;
    const entry = this.registry.find(restore, stage);
    if (job.name === PARENT_JOB) return entry.passBarrier();
    if (job.name !== CHILD_JOB || participant === undefined) throw new Error(`refused: not a stage job: ${job.name}`);
    await entry.runParticipant(participant);
  }

  close(): Promise<void> {
    return this.worker.close(true);
  }
}
