// The checkpoint jobs of hosts' queues, as `ferry checkpoints --host` lists them: the schedules
// (`ferry checkpoint --every`) and the jobs still to run, running, done or failed.
import type { Job, JobType } from 'bullmq';
import type { RedisConfig } from '@ferry/restorer/bullmq';
import { HostQueue } from './host-queue.js';
import { CHECKPOINT_JOB, type CheckpointJob, type CheckpointJobResult } from './jobs.js';

export interface ScheduleRow {
  host: string;
  schedule: string;
  pid: number;
  everyMs: number;
  keep?: number;
  name?: string;
  /** Jobs it has made so far. */
  runs: number;
  nextRun?: string;
}

export interface JobRow {
  host: string;
  job: string;
  /** The schedule that made it, if one did. */
  schedule?: string;
  pid: number;
  /** delayed: to run later; retrying: delayed after a failed attempt. */
  status: 'waiting' | 'delayed' | 'retrying' | 'active' | 'completed' | 'failed';
  attempts: number;
  /** When it finished, started (its last attempt, if retrying), was queued, or (delayed) is to run. */
  time?: string;
  checkpointId?: string;
  pageBytes?: number;
  /** Why it failed (its last attempt, for a job that is to be tried again). */
  reason?: string;
}

const STATES: [JobType, JobRow['status']][] = [
  ['completed', 'completed'], ['failed', 'failed'], ['active', 'active'],
  ['waiting', 'waiting'], ['prioritized', 'waiting'], ['delayed', 'delayed'],
];

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

export async function checkpointJobs(hosts: string[], redis: RedisConfig): Promise<{ schedules: ScheduleRow[]; jobs: JobRow[] }> {
  const schedules: ScheduleRow[] = [];
  const jobs: JobRow[] = [];
  for (const host of hosts) {
    const hq = await HostQueue.open(host, redis);
    try {
      for (const s of await hq.queue.getJobSchedulers()) {
        if (s.name !== CHECKPOINT_JOB) continue;
        const data = s.template?.data as CheckpointJob | undefined;
        schedules.push({ host, schedule: s.key, pid: data?.pid ?? 0, everyMs: Number(s.every), keep: data?.keepLast, name: data?.name, runs: s.iterationCount ?? 0, nextRun: iso(s.next) });
      }
      for (const [type, status] of STATES) {
        for (const job of await hq.queue.getJobs(type)) {
          if (job?.name === CHECKPOINT_JOB) jobs.push(jobRow(host, job as Job<CheckpointJob, CheckpointJobResult>, status));
        }
      }
    } finally {
      await hq.close();
    }
  }
  jobs.sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  return { schedules, jobs };
}

function jobRow(host: string, job: Job<CheckpointJob, CheckpointJobResult>, state: JobRow['status']): JobRow {
  const status = state === 'delayed' && job.attemptsMade > 0 ? 'retrying' : state;
  const done = status === 'completed' ? job.returnvalue : undefined;
  const time = status === 'completed' || status === 'failed' ? job.finishedOn
    : status === 'active' || status === 'retrying' ? job.processedOn
    : job.timestamp + (status === 'waiting' ? 0 : job.delay);
  return {
    host, job: job.id!, schedule: job.repeatJobKey, pid: job.data.pid, status, attempts: job.attemptsMade, time: iso(time),
    checkpointId: done?.checkpointId, pageBytes: done?.pageBytes, reason: status === 'failed' || status === 'retrying' ? job.failedReason : undefined,
  };
}
