import type { Command } from 'commander';
import type { CheckpointSummary } from '@ferry/transport';
import { fail } from './fail.js';
import { natsOf, redisOf } from './config.js';
import { natsOption } from './nats-options.js';
import { table } from './table.js';
import { registerCheckpointJobs } from './checkpoint-command.js';
import { jobsListing, mib } from './jobs-listing.js';

/**
 * `ferry checkpoints [--json] [--host H]...` and `ferry checkpoint delete ID`: the image server's
 * store, and with --host the checkpoint jobs and schedules of those hosts' queues.
 */
export function registerCheckpoints(program: Command): void {
  const list = program
    .command('checkpoints')
    .description('list the checkpoints the image server holds (and with --host the checkpoint jobs of hosts)')
    .option('--json', 'machine-readable output (with --host: {checkpoints, schedules, jobs})')
    .option('--host <name>', 'also the checkpoint schedules and jobs of this host\'s queue (repeatable)', (v: string, hosts: string[] = []) => [...hosts, v])
    .option('--redis <url>', 'with --host: Redis of the job queues (default $FERRY_REDIS_URL)');
  natsOption(list).action(async (o) => {
    try {
      const [{ listCheckpoints }, { withNats }] = await Promise.all([import('@ferry/transport'), import('@ferry/agent/checkpoint-io')]);
      const all = await withNats(natsOf(o.nats), listCheckpoints);
      if (o.host) {
        const { checkpointJobs } = await import('@ferry/agent');
        const jobs = await checkpointJobs(o.host, await redisOf(o.redis));
        process.stdout.write((o.json ? JSON.stringify({ checkpoints: all, ...jobs }, null, 2) : `${listing(all)}\n\n${jobsListing(jobs)}`) + '\n');
        return;
      }
      process.stdout.write((o.json ? JSON.stringify(all, null, 2) : listing(all)) + '\n');
    } catch (e) {
      fail('checkpoints', e);
    }
  });

  const checkpoint = program.command('checkpoint');
  registerCheckpointJobs(checkpoint);
  const remove = checkpoint.command('delete').description('delete a checkpoint from the image server').argument('<id>', 'checkpoint id');
  natsOption(remove).action(async (id: string, o) => {
    try {
      const [{ deleteCheckpoint }, { withNats }] = await Promise.all([import('@ferry/transport'), import('@ferry/agent/checkpoint-io')]);
      await withNats(natsOf(o.nats), (nc) => deleteCheckpoint(nc, id));
    } catch (e) {
      fail('checkpoint delete', e);
    }
  });
}

function listing(all: CheckpointSummary[]): string {
  // A migration's pages went to its target host: the server holds its records only.
  const pages = (c: CheckpointSummary) => (c.pagesHeldBy ? `on ${c.pagesHeldBy}` : 'here');
  return table(['ID', 'WORKLOAD', 'SIZE', 'PAGES', 'CREATED', 'COMMITTED'], all.map((c) => [c.checkpointId, c.workload, mib(c.size), pages(c), c.createdAt, c.committed ? 'yes' : 'no']));
}
