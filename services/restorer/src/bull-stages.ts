import { randomUUID } from 'node:crypto';
import { FlowProducer, type FlowJob, type Job } from 'bullmq';
import { STAGES, StageError, injectedFailure, type Participant, type Stage, type StageBarrier, type StageFaults, type StageReport } from './stages.js';
import { StageWorker, PARENT_JOB, CHILD_JOB, type StageJobData } from './stage-worker.js';
import type { RedisConfig, StageQueue } from './redis-config.js';
import type { StageEntry } from './stage-registry.js';
import type { Log } from './log.js';

export interface BullStageReport extends StageReport {
  /** From the last participant finishing to the parent job running (the barrier passed): what the barrier costs. */
  barrierMs: number;
}

export interface BullStagesOptions {
  /** A stage that has not completed by then fails, naming the participants still pending. */
  timeoutMs: number;
  log: Log;
  /** For tests of the failure paths. */
  faults?: StageFaults;
}

interface Waiting {
  parentId: string;
  entry: StageEntry;
  resolve(): void;
}

const settleWithin = (ms: number, p: Promise<unknown>) => Promise.race([p.catch(() => {}), new Promise((r) => setTimeout(r, ms).unref())]);

function onErrors(worker: StageWorker, flows: FlowProducer, handle: (e: Error) => void): void {
  worker.worker.on('error', handle);
  flows.on('error', handle);
}

function pendingOf(entry: StageEntry): string {
  const names = [...entry.pending];
  if (names.length === 0) return 'barrier';
  const shown = names.slice(0, 4).join(', ');
  return `pending ${shown}${names.length > 4 ? ` and ${names.length - 4} more` : ''}`;
}

/**
 * The distributed barrier: each stage is a BullMQ flow on the target host's queue, a parent job
 * per stage and a child per participant (failParentOnFailure), so the parent runs once every
 * participant has done its part. The children are prioritized by their index: the worker takes
 * them in order, as the local barrier runs them. Any failure, a lost Redis included, rejects the
 * stage at once or at its timeout, and the restorer then removes what it made.
 *
 * Completion is learnt from this process's own worker, as it runs the parent job (its completion
 * in Redis is not waited for: ~0.5 ms a stage). A coordinator whose parents run elsewhere, or whose children run on other hosts (the dumper on the source
 * host, holding the frozen tree until COMPLETE), would listen to QueueEvents of the parent's queue
 * instead, since a remote child's failure fails the parent without any local event.
 */
export class BullStages implements StageBarrier {
  readonly reports = new Map<Stage, BullStageReport>();
  readonly restoreId = randomUUID();
  private next = 0;
  private waiting: Waiting | null = null;
  private lostRedis: Error | null = null;
  private closing = false;
  /** Parents passed and not yet completed in Redis: close() lets them finish, or they would stall there. */
  private readonly unsettled = new Map<string, { ended: Promise<void>; end(): void }>();

  constructor(
    private readonly worker: StageWorker,
    private readonly flows: FlowProducer,
    private readonly redis: RedisConfig,
    private readonly opts: BullStagesOptions,
    private readonly release: () => Promise<void> = async () => {},
  ) {
    worker.registry.open(this.restoreId);
    worker.worker.on('completed', this.onCompleted);
    worker.worker.on('failed', this.onFailed);
    onErrors(worker, flows, this.onError);
  }

  // Kept to be taken off again: an agent's worker outlives the many restores it serves.
  private readonly onCompleted = (job: Job) => this.parentEnded(job.id);
  private readonly onFailed = (job: Job | undefined, error: Error) => this.parentEnded(job?.id, error);
  private readonly onError = (e: Error) => this.lost(e);

  /** A barrier owning its worker and producer, as one `ferry restore` needs: fails fast if Redis is not there. */
  static async open(redis: RedisConfig, queue: StageQueue, opts: BullStagesOptions): Promise<BullStages> {
    const worker = new StageWorker(queue, redis, opts.timeoutMs);
    const flows = new FlowProducer({ connection: redis.options, prefix: queue.prefix });
    const release = () => settleWithin(1000, Promise.all([worker.close(), flows.close()])).then(() => {});
    const failure = new Promise<never>((_, reject) => {
      onErrors(worker, flows, (e) => reject(new Error(`redis ${redis.where}: ${e.message}`)));
      setTimeout(() => reject(new Error(`redis ${redis.where}: not reachable`)), 5000).unref();
    });
    failure.catch(() => {}); // raced below; once open, errors are the stages' concern
    try {
      await Promise.race([Promise.all([worker.worker.waitUntilReady(), flows.waitUntilReady()]), failure]);
    } catch (e) {
      await release();
      throw e;
    }
    return new BullStages(worker, flows, redis, opts, release);
  }

  async run(stage: Stage, participants: Participant[]): Promise<void> {
    const index = STAGES.indexOf(stage);
    if (index !== this.next) throw new Error(`stage ${stage} cannot run after ${STAGES[this.next - 1] ?? 'nothing'}`);
    this.next = index + 1;
    if (this.lostRedis) throw new StageError(stage, `redis ${this.redis.where}`, this.lostRedis);
    // Every participant of a restore is in this list: a stage with none has nobody to wait for,
    // and a flow for it would cost ~10 ms of downtime for nothing.
    if (participants.length === 0 && injectedFailure(stage, this.opts.faults ?? {}) === null) {
      this.reports.set(stage, { participants: 0, ms: 0, barrierMs: 0 });
      this.opts.log.debug(`stage ${stage}: 0 participants done in 0.00 ms, barrier 0.00 ms`);
      return;
    }
    const entry = this.worker.registry.enter(this.restoreId, stage, participants, this.opts.faults);
    const parentId = `${this.restoreId}.${stage}`;
    const t0 = performance.now();
    entry.lastDoneAt = t0;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        entry.onFailure = (participant, error) => reject(new StageError(stage, participant, error));
        // The parent job running is the barrier passed: its completion in Redis is not waited for.
        entry.onPassed = () => {
          let settle!: () => void;
          this.unsettled.set(parentId, { ended: new Promise<void>((r) => (settle = r)), end: () => settle() });
          resolve();
        };
        this.waiting = { parentId, entry, resolve };
        timer = setTimeout(() => entry.fail(pendingOf(entry), new Error(`timed out after ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs);
        this.flows.add(this.flowOf(parentId, stage, participants)).catch((e: Error) => entry.fail(`redis ${this.redis.where}`, e));
      });
    } finally {
      clearTimeout(timer);
      this.waiting = null;
    }
    const end = performance.now();
    const report = { participants: participants.length, ms: end - t0, barrierMs: end - entry.lastDoneAt };
    this.reports.set(stage, report);
    this.opts.log.debug(`stage ${stage}: ${report.participants} participants done in ${report.ms.toFixed(2)} ms, barrier ${report.barrierMs.toFixed(2)} ms`);
  }

  private flowOf(parentId: string, stage: Stage, participants: Participant[]): FlowJob {
    const { prefix, name: queueName } = this.worker.queue;
    const data: StageJobData = { restore: this.restoreId, stage };
    return {
      name: PARENT_JOB, queueName, prefix, data,
      opts: { jobId: parentId, removeOnComplete: true, removeOnFail: 100 },
      children: participants.map((p, i) => ({
        name: CHILD_JOB, queueName, prefix,
        data: { ...data, participant: p.name },
        // BullMQ priorities run from 1 to 2^21.
        opts: { jobId: `${parentId}.${i}`, priority: Math.min(i + 1, 2 ** 21), failParentOnFailure: true, removeOnComplete: true, removeOnFail: 100 },
      })),
    };
  }

  private parentEnded(jobId: string | undefined, error?: Error): void {
    if (jobId !== undefined) {
      this.unsettled.get(jobId)?.end();
      this.unsettled.delete(jobId);
    }
    const w = this.waiting;
    if (!w || jobId !== w.parentId) return;
    if (error) w.entry.fail('barrier', error);
    else w.resolve();
  }

  private lost(e: Error): void {
    if (this.closing) return;
    this.lostRedis ??= e;
    this.waiting?.entry.fail(`redis ${this.redis.where}`, e);
  }

  /** Never hangs, Redis or not: a failed restore must still end. */
  async close(): Promise<void> {
    await settleWithin(1000, Promise.all([...this.unsettled.values()].map((u) => u.ended)));
    this.closing = true;
    this.worker.registry.close(this.restoreId);
    this.worker.worker.off('completed', this.onCompleted);
    this.worker.worker.off('failed', this.onFailed);
    this.worker.worker.off('error', this.onError);
    this.flows.off('error', this.onError);
    await this.release();
  }
}
