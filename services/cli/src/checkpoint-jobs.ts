// The checkpoint jobs of hosts' queues, as `ferry checkpoints --host` lists them: the schedules
// (`ferry checkpoint --every`) and the jobs still to run, running, done or failed.
import type { Job, JobType } from 'bullmq';
import { HostQueue } from './host-queue.js';
import { table } from './table.js';
import type { CheckpointJob, CheckpointJobResult } from './host-jobs.js';

export const CHECKPOINT_JOB = 'checkpoint';

/** A repeating checkpoint's schedule id on its host: one per process. */
export const scheduleId = (pid: number) => `pid-${pid}`;

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

export async function checkpointJobs(hosts: string[], redisUrl: string | undefined): Promise<{ schedules: ScheduleRow[]; jobs: JobRow[] }> {
  const schedules: ScheduleRow[] = [];
  const jobs: JobRow[] = [];
  for (const host of hosts) {
    const hq = await HostQueue.open(host, redisUrl);
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

export const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

export function every(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export function jobsListing({ schedules, jobs }: { schedules: ScheduleRow[]; jobs: JobRow[] }): string {
  const parts: string[] = [];
  if (schedules.length > 0) {
    parts.push(table(['SCHEDULE', 'HOST', 'PID', 'EVERY', 'KEEP', 'RUNS', 'NEXT RUN'],
      schedules.map((s) => [s.schedule, s.host, s.pid, every(s.everyMs), s.keep ?? '-', s.runs, s.nextRun ?? '-'])));
  }
  if (jobs.length > 0) {
    parts.push(table(['JOB', 'HOST', 'PID', 'STATUS', 'TIME', 'CHECKPOINT', 'SIZE', 'REASON'],
      jobs.map((j) => [j.job, j.host, j.pid, j.status, j.time ?? '-',
        j.checkpointId ?? '-', j.pageBytes === undefined ? '-' : mib(j.pageBytes), j.reason ?? ''])));
  }
  // An empty last column leaves the padding of the others at the end of the line.
  return parts.length > 0 ? parts.join('\n\n').replace(/ +$/gm, '') : 'no checkpoint jobs';
}
