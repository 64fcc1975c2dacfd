import { Job, Queue } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { hostPrefix, JOB_QUEUE } from './jobs.js';

const EVERY_MS = 250;

/**
 * Reports progress on job JOB_ID of HOST's queue, at most every 250 ms and never waiting for
 * Redis: a migration goes on (or decides) whether or not anybody hears how far it got.
 */
export class JobProgress<P extends object> {
  private readonly queue: Queue;
  private last = 0;
  /** Fetched once (an HGETALL), kept: only its progress changes. */
  private job?: Promise<Job | undefined>;

  constructor(redis: RedisOptions, host: string, private readonly jobId: string) {
    this.queue = new Queue(JOB_QUEUE, { connection: { ...redis, maxRetriesPerRequest: 1, enableOfflineQueue: false }, prefix: hostPrefix(host) });
    this.queue.on('error', () => {});
  }

  report(progress: P, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < EVERY_MS) return;
    this.last = now;
    this.job ??= Job.fromId(this.queue, this.jobId).then((job) => {
      if (!job) this.job = undefined; // not there (yet): asked again next time
      return job;
    }, (e: unknown) => {
      this.job = undefined; // Redis away: asked again next time
      throw e;
    });
    void this.job.then((job) => job?.updateProgress(progress)).catch(() => {});
  }

  close(): Promise<void> {
    return this.queue.close().catch(() => {});
  }
}
