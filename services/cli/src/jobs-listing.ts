// The checkpoint jobs of hosts' queues, as `ferry checkpoints --host` shows them to people.
import type { JobRow, ScheduleRow } from '@ferry/agent';
import { table } from './table.js';

export const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

function every(ms: number): string {
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
