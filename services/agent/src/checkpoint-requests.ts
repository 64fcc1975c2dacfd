// Checkpoint jobs as whoever asks for them sees them (`ferry checkpoint`): once and waited for, or
// on a schedule (BullMQ job schedulers), and a schedule ended.
import type { JobsOptions } from 'bullmq';
import type { HostQueue } from './host-queue.js';
import { CHECKPOINT_JOB, scheduleId, type CheckpointJob, type CheckpointJobResult } from './jobs.js';

/** Failed attempts wait 1 s, 2 s, 4 s... before the next. */
const RETRY_MS = 1000;
/** Finished jobs kept in the queue for `ferry checkpoints --host`. */
const KEPT_JOBS = 50;
const STOP_TIMEOUT_MS = 120_000;

export type CheckpointRequest = Omit<CheckpointJob, 'pid'> & {
  /** Tries a failed checkpoint this many more times, 1 s, 2 s, 4 s... apart. */
  retries: number;
};

function jobsOptions(retries: number): JobsOptions {
  return {
    attempts: retries + 1,
    backoff: { type: 'exponential', delay: RETRY_MS },
    removeOnComplete: { count: KEPT_JOBS },
    removeOnFail: { count: KEPT_JOBS },
  };
}

/** One checkpoint of each of PIDS on HQ's host (opened with events): each one's outcome, in order. */
export async function checkpointOnce(hq: HostQueue, pids: number[], o: CheckpointRequest): Promise<PromiseSettledResult<CheckpointJobResult>[]> {
  const { retries, ...job } = o;
  const jobs = await Promise.all(pids.map((pid) => hq.queue.add(CHECKPOINT_JOB, { ...job, pid }, jobsOptions(retries))));
  return Promise.allSettled(jobs.map((added) => hq.outcome<CheckpointJobResult>(added, `the checkpoint of pid ${added.data.pid}`)));
}

/** A checkpoint of each of PIDS every EVERY_MS: their schedule ids, in order. */
export async function scheduleCheckpoints(hq: HostQueue, pids: number[], everyMs: number, o: CheckpointRequest): Promise<string[]> {
  const { retries, ...job } = o;
  for (const pid of pids) await hq.queue.upsertJobScheduler(scheduleId(pid), { every: everyMs }, { name: CHECKPOINT_JOB, data: { ...job, pid }, opts: jobsOptions(retries) });
  return pids.map(scheduleId);
}

/** Ends schedule ID: its next checkpoints are dropped, one under way finishes first. */
export async function stopSchedule(hq: HostQueue, id: string): Promise<void> {
  if (!(await hq.queue.removeJobScheduler(id))) throw new Error(`no schedule ${id} on host ${hq.host}`);
  await settle(hq, id);
}

/**
 * Drops the jobs schedule ID made that have not started (BullMQ removes only the next delayed one
 * with the schedule) and waits for one under way to end: afterwards no checkpoint of it is taken.
 */
async function settle(hq: HostQueue, id: string): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  for (;;) {
    const mine = (await hq.queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'])).filter((job) => job?.repeatJobKey === id);
    let running = false;
    for (const job of mine) {
      // A job that started meanwhile cannot be removed: it is waited for like the others running.
      await job.remove().catch(() => (running = true));
    }
    if (!running && !(await hq.queue.getActive()).some((job) => job?.repeatJobKey === id)) return;
    if (Date.now() > deadline) throw new Error(`a checkpoint of schedule ${id} still runs on ${hq.host} after ${STOP_TIMEOUT_MS / 1000} s: the schedule is gone, that one may still finish`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
