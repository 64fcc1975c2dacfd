// A host's job queue as the commands that give its agent work see it: jobs added, their outcome
// awaited, and the wait given up if the agent goes away meanwhile.
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisConfig } from '@ferry/restorer/bullmq';
import { present, agentKey } from './presence.js';
import { hostPrefix, JOB_QUEUE } from './jobs.js';

const WATCH_MS = 1000;

export interface HostQueueOptions {
  /** Fail unless an agent serves the host now. */
  agentNeeded?: boolean;
  /** Outcomes are going to be awaited (QueueEvents). */
  events?: boolean;
}

/** The host's agent went away while a job of it was awaited. */
export class AgentGone extends Error {}

export class HostQueue {
  private constructor(
    readonly host: string,
    readonly queue: Queue,
    readonly client: Redis,
    readonly events: QueueEvents | undefined,
  ) {}

  static async open(host: string, redis: RedisConfig, o: HostQueueOptions = {}): Promise<HostQueue> {
    const prefix = hostPrefix(host);
    // Asked first, failing at once: BullMQ's connections would wait for a Redis that is not there.
    let lastError = '';
    const client = new Redis({ ...redis.options, maxRetriesPerRequest: 1 });
    client.on('error', (e: Error) => (lastError = e.message));
    try {
      await client.ping().catch((e: Error) => {
        throw new Error(`Redis at ${redis.where} does not answer (${lastError || e.message})`);
      });
      if (o.agentNeeded && !(await present(client, agentKey(host)))) throw new Error(`no agent serves host ${host}: start \`ferry agent --host ${host}\` there`);
    } catch (e) {
      client.disconnect();
      throw e;
    }
    const queue = new Queue(JOB_QUEUE, { connection: redis.options, prefix });
    queue.on('error', () => {});
    const events = o.events ? new QueueEvents(JOB_QUEUE, { connection: redis.options, prefix }) : undefined;
    events?.on('error', () => {});
    await events?.waitUntilReady();
    return new HostQueue(host, queue, client, events);
  }

  agentPresent(): Promise<boolean> {
    return present(this.client, agentKey(this.host));
  }

  /**
   * What JOB returned, or a rejection with the reason it failed (after its last attempt); also a
   * rejection if the host's agent is gone twice in a row while it waits, as nobody would finish it.
   */
  async outcome<R>(job: Job, what: string): Promise<R> {
    if (!this.events) throw new Error('the queue was opened without events');
    let timer: NodeJS.Timeout | undefined;
    const watched = new Promise<never>((_, reject) => {
      let absent = 0;
      timer = setInterval(() => {
        void this.agentPresent().then((here) => {
          absent = here ? 0 : absent + 1;
          if (absent >= 2) reject(new AgentGone(`the agent of host ${this.host} stopped before ${what} ended`));
        }, () => { /* Redis is away: ask again */ });
      }, WATCH_MS);
    });
    try {
      return await Promise.race([job.waitUntilFinished(this.events) as Promise<R>, watched]);
    } finally {
      clearInterval(timer);
    }
  }

  async close(): Promise<void> {
    await this.events?.close().catch(() => {});
    await this.queue.close().catch(() => {});
    this.client.disconnect();
  }
}
