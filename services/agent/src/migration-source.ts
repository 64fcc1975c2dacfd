// The source side of a migration: dump to the image server with the tree held frozen, have the
// target's agent restore it, and let exactly one copy run afterwards. Runs in a process of its
// own (started by agent a), so that the agent may die without ending the migration.
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { dump } from '@ferry/dumper';
import type { Log } from '@ferry/restorer';
import type { RedisConfig } from '@ferry/restorer/bullmq';
import { imageServerSink } from './image-server-sink.js';
import { claimTree } from './takeover.js';
import { present, agentKey } from './presence.js';
import { countingPages } from './counting-sink.js';
import { JobProgress } from './job-progress.js';
import { hostPrefix, JOB_QUEUE, restoreJobId, type MigrationProgress, type MigrationReport, type RestoreJob, type RestoreJobResult } from './jobs.js';
import type { MigrationSourceRequest } from './context.js';
import type { Faults, NatsSettings } from './options.js';

const PRESENCE_CHECK_MS = 1000;
const CLAIM_RETRY_MS = 1000;
const REMOVE_WAIT_MS = 1000;

export interface MigrationSourceOptions extends MigrationSourceRequest {
  redis: RedisConfig;
  nats: NatsSettings;
  log: Log;
  /** The source gives up on a target that has not run the tree by then, and runs it on here. */
  takeOverTimeoutMs: number;
  faults: Faults;
  /** Says what the operator should know while it waits (Redis gone, an agent gone). */
  say: (line: string) => void;
  /** Told the checkpoint's id (its network lock's name) before the tree is frozen. */
  onCheckpoint?: (checkpointId: string) => void;
}

export async function migrateOut(o: MigrationSourceOptions): Promise<MigrationReport> {
  const client = new Redis({ ...o.redis.options, maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => {});
  const progress = new JobProgress<MigrationProgress>(o.redis.options, o.from, o.migrationId);
  const targetQueue = new Queue<RestoreJob, RestoreJobResult>(JOB_QUEUE, { connection: o.redis.options, prefix: hostPrefix(o.to) });
  const targetEvents = new QueueEvents(JOB_QUEUE, { connection: o.redis.options, prefix: hostPrefix(o.to) });
  targetQueue.on('error', () => {});
  targetEvents.on('error', () => {});
  // Connected before anything is frozen: servers that cannot be reached fail the migration untouched.
  let pagesVia = o.keepCheckpoint ? 'through the image server' : `straight to ${o.to}`;
  const sink = await imageServerSink({
    nats: o.nats, pagesTo: o.keepCheckpoint ? undefined : o.to,
    onPagesFallback: (why) => {
      pagesVia = 'through the image server';
      o.say(`the pages go through the image server (${why})`);
    },
  });
  try {
    await client.connect();
    await targetEvents.waitUntilReady();
    if (!(await present(client, agentKey(o.to)))) throw new Error(`no agent serves host ${o.to}: start \`ferry agent --host ${o.to}\` there`);
    // The tree's resident size, as the dump measured it for the receiver's room.
    let expectedBytes = 0;
    let pageBytes = 0;
    let stage: string | undefined;
    const report = (force = false) => progress.report({ phase: stage ? 'restoring' : 'dumping', pageBytes, expectedBytes, stage }, force);
    let taken: RestoreJobResult | null = null;
    const t0 = performance.now();
    /** When a learned that the copy runs on b: the downtime ends there, not when the source is killed. */
    let takenAt = 0;
    const summary = await dump({
      pid: o.pid,
      openSink: async (inventory, expectedPageBytes) => {
        expectedBytes = expectedPageBytes;
        const opened = await sink.openSink(inventory, expectedPageBytes);
        o.onCheckpoint?.(opened.checkpointId);
        return countingPages(opened, (bytes) => {
          pageBytes = bytes;
          report();
        });
      },
      log: o.log,
      tcpEstablished: o.tcpEstablished,
      failBeforeCommit: o.faults.dumpBeforeCommit,
      holdUntil: async (checkpointId) => {
        stage = 'queued';
        report(true);
        targetEvents.on('progress', ({ jobId, data }) => {
          if (jobId !== restoreJobId(o.migrationId)) return;
          stage = (data as { stage?: string }).stage ?? stage;
          report(true);
        });
        try {
          const job = await targetQueue.add('restore', { checkpointId, tcpEstablished: o.tcpEstablished }, { jobId: restoreJobId(o.migrationId), removeOnComplete: true, removeOnFail: true });
          taken = await untilTakenOver(job, targetEvents, client, o);
          takenAt = performance.now();
          return 'kill';
        } catch (e) {
          // Not started yet: it never will be. Started: the target asks before it releases the tree.
          // Bounded: with Redis away the queue would wait for it, and the claim below waits anyway.
          await Promise.race([targetQueue.remove(restoreJobId(o.migrationId)).catch(() => {}), new Promise((r) => setTimeout(r, REMOVE_WAIT_MS))]);
          if ((await claimPatiently(o, checkpointId)) !== 'target') throw e;
          o.say(`${o.to} took the tree over without reporting it (${(e as Error).message})`);
          takenAt = performance.now();
          return 'kill';
        }
      },
    });
    const done = performance.now();
    const frozenAt = done - summary.frozenMs;
    const result = taken as RestoreJobResult | null;
    return {
      pid: o.pid, from: o.from, to: o.to, pidThere: result?.pid ?? 0, checkpointId: summary.checkpointId, processes: summary.tasks,
      pageBytes: Number(summary.pageBytes), pageRate: summary.pagesMs > 0 ? Math.round(Number(summary.pageBytes) / (summary.pagesMs / 1000)) : 0,
      downtimeMs: Math.round((takenAt || done) - frozenAt), sourceFrozenMs: Math.round(summary.frozenMs), totalMs: Math.round(done - t0), stageMs: result?.stageMs ?? {}, pagesVia,
    };
  } finally {
    await sink.close();
    await progress.close();
    await targetEvents.close().catch(() => {});
    await targetQueue.close().catch(() => {});
    client.disconnect();
  }
}

/**
 * The target's result, or a rejection once it fails, times out, its agent stops answering or Redis
 * goes away (the decision then waits for Redis, whatever the target did meanwhile).
 */
async function untilTakenOver(job: Job<RestoreJob, RestoreJobResult>, events: QueueEvents, client: Redis, o: MigrationSourceOptions): Promise<RestoreJobResult> {
  const { to } = o;
  let timer: NodeJS.Timeout | undefined;
  let onClose: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      present(client, agentKey(to)).then((there) => {
        if (!there) reject(new Error(`the agent of host ${to} stopped answering`));
      }, () => { /* Redis is away: its close event says so */ });
    }, PRESENCE_CHECK_MS);
    onClose = () => reject(new Error(`lost Redis at ${o.redis.where}`));
    client.once('close', onClose);
  });
  try {
    return await Promise.race([job.waitUntilFinished(events, o.takeOverTimeoutMs) as Promise<RestoreJobResult>, stopped]);
  } finally {
    clearInterval(timer);
    client.removeListener('close', onClose!);
  }
}

/**
 * Who runs the tree is decided in Redis, and only there: without Redis no decision can be made, so
 * the tree stays frozen until Redis answers again (two copies running would be worse than a pause).
 */
async function claimPatiently(o: MigrationSourceOptions, checkpointId: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await claimTree(o.redis.options, checkpointId, 'source');
    } catch (e) {
      if (attempt === 0) o.say(`Redis at ${o.redis.where} does not answer (${(e as Error).message.split('\n')[0]}): pid ${o.pid} stays frozen until it does`);
      await new Promise((r) => setTimeout(r, CLAIM_RETRY_MS));
    }
  }
}
