import type { Command } from 'commander';
import { deleteCheckpoint, listCheckpoints, type CheckpointSummary } from '@ferry/transport';
import { fail } from './fail.js';
import { natsOption, withNats } from './nats-options.js';
import { table } from './table.js';

/** `ferry checkpoints [--json]` and `ferry checkpoint delete ID`: the image server's store. */
export function registerCheckpoints(program: Command): void {
  const list = program
    .command('checkpoints')
    .description('list the checkpoints the image server holds')
    .option('--json', 'machine-readable output');
  natsOption(list).action(async (o) => {
    try {
      const all = await withNats(o, listCheckpoints);
      process.stdout.write((o.json ? JSON.stringify(all, null, 2) : listing(all)) + '\n');
    } catch (e) {
      fail('checkpoints', e);
    }
  });

  const checkpoint = program.command('checkpoint').description('manage one checkpoint on the image server');
  const remove = checkpoint.command('delete').description('delete a checkpoint from the image server').argument('<id>', 'checkpoint id');
  natsOption(remove).action(async (id: string, o) => {
    try {
      await withNats(o, (nc) => deleteCheckpoint(nc, id));
    } catch (e) {
      fail('checkpoint delete', e);
    }
  });
}

function listing(all: CheckpointSummary[]): string {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  return table(['ID', 'WORKLOAD', 'SIZE', 'CREATED', 'COMMITTED'], all.map((c) => [c.checkpointId, c.workload, mib(c.size), c.createdAt, c.committed ? 'yes' : 'no']));
}
