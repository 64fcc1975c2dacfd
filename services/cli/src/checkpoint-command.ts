import { type Command, InvalidArgumentError } from 'commander';
import type { CheckpointRequest } from '@ferry/agent';
import { fail } from './fail.js';
import { config, redisOf } from './config.js';
import { pidArg } from './pid-arg.js';
import { countArg } from './count-arg.js';

/**
 * `ferry checkpoint --host H --pid PID... [--every D]`: checkpoint jobs on H's agent queue, once
 * (waited for: the checkpoint ids) or on a schedule (BullMQ job schedulers: the schedule ids);
 * `ferry checkpoint stop SCHEDULE --host H` ends a schedule. CHECKPOINT is the `checkpoint`
 * command, which also has `delete`.
 */
export function registerCheckpointJobs(checkpoint: Command): void {
  checkpoint
    .description('checkpoint processes of a host through its agent, once or every so often (and manage stored checkpoints)')
    .option('--pid <pid>', 'a process (tree root) on that host to checkpoint (repeatable)', (v: string, pids: number[] = []) => [...pids, pidArg(v)])
    .option('--host <name>', 'the host it runs on, whose agent dumps it (default $FERRY_HOST, else the host name)')
    .option('--every <duration>', 'a checkpoint every DURATION (500ms, 30s, 5m, 1h) until `ferry checkpoint stop`: prints the schedule id', durationArg)
    .option('-R, --leave-running', 'resume the process after each checkpoint instead of killing it (needed with --every)')
    .option('-l, --file-locks', 'record the file locks the tree holds (flock, POSIX, OFD), taken again at restore')
    .option('--keep <n>', 'keep only the last N checkpoints of the workload on the image server', positiveArg)
    .option('--name <workload>', 'the workload the checkpoints belong to (default HOST:PID:EXE, the same for every checkpoint of a process)')
    .option('--retries <n>', 'try a failed checkpoint N more times, 1 s, 2 s, 4 s... apart', countArg, 0)
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .action(async (o) => {
      try {
        const pids: number[] = o.pid ?? [];
        if (pids.length === 0) throw new Error('which process? give --pid PID');
        if (o.every !== undefined && !o.leaveRunning) throw new Error('--every needs --leave-running: a checkpoint without it ends the process');
        const host: string = o.host ?? config.host;
        const { AgentGone, checkpointOnce, HostQueue, scheduleCheckpoints } = await import('@ferry/agent');
        const hq = await HostQueue.open(host, await redisOf(o.redis), { agentNeeded: true, events: o.every === undefined });
        try {
          const request: CheckpointRequest = { name: o.name, keepLast: o.keep, leaveRunning: !!o.leaveRunning, fileLocks: !!o.fileLocks, retries: o.retries };
          if (o.every !== undefined) {
            const schedules = await scheduleCheckpoints(hq, pids, o.every, request);
            process.stdout.write(schedules.map((id) => `${id}\n`).join(''));
            return;
          }
          const outcomes = await checkpointOnce(hq, pids, request);
          for (const [i, outcome] of outcomes.entries()) {
            if (outcome.status === 'fulfilled') {
              process.stdout.write(`${outcome.value.checkpointId}\n`);
            } else {
              const tries = o.retries > 0 && !(outcome.reason instanceof AgentGone) ? ` (tried ${o.retries + 1} times)` : '';
              process.stderr.write(`ferry checkpoint: pid ${pids[i]} on ${host}: ${firstLine(outcome.reason)}${tries}\n`);
            }
          }
          if (outcomes.some((outcome) => outcome.status === 'rejected')) process.exitCode = 1;
        } finally {
          await hq.close();
        }
      } catch (e) {
        fail('checkpoint', e);
      }
    });

  checkpoint
    .command('stop')
    .description('stop a schedule of `ferry checkpoint --every`: its next checkpoints are dropped, one under way finishes first')
    .argument('<schedule>', 'the schedule id it printed (pid-PID)')
    .option('--host <name>', 'the host of the schedule (default $FERRY_HOST, else the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .action(async (id: string, _, stop: Command) => {
      try {
        // Ours are parsed wherever they stand, so `checkpoint` takes --host and --redis from the line: all of them come here.
        const o = stop.optsWithGlobals();
        const host: string = o.host ?? config.host;
        const { HostQueue, stopSchedule } = await import('@ferry/agent');
        const hq = await HostQueue.open(host, await redisOf(o.redis));
        try {
          await stopSchedule(hq, id);
        } finally {
          await hq.close();
        }
      } catch (e) {
        fail('checkpoint stop', e);
      }
    });
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** 500ms, 30s (a bare number is seconds), 5m, 1h: milliseconds. */
export function durationArg(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value);
  const ms = m ? Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'] : NaN;
  if (!(ms >= 1)) throw new InvalidArgumentError(`not a duration: ${value} (say 500ms, 30s, 5m)`);
  return Math.round(ms);
}

function positiveArg(value: string): number {
  const n = countArg(value);
  if (n === 0) throw new InvalidArgumentError('keeping 0 would keep none: give 1 or more');
  return n;
}
