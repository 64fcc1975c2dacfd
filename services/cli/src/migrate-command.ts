import type { Command } from 'commander';
import type { HostQueue, MigrationReport } from '@ferry/agent';
import { natsOption } from './nats-options.js';
import { fail } from './fail.js';
import { config, redisOf } from './config.js';
import { pidArg } from './pid-arg.js';

/**
 * `ferry migrate --from a --to b --pid PID`: the migration, queued on a's agent (see migrate), with
 * its progress shown while it runs and its report at the end: one copy of the tree runs afterwards.
 */
export function registerMigrate(program: Command): void {
  natsOption(program
    .command('migrate')
    .description('move a process tree from one host to another: frozen on the first until it runs on the second')
    .requiredOption('--pid <pid>', 'the root of the tree to move (a pid on the source host)', pidArg)
    .requiredOption('--to <host>', 'the host whose agent takes it')
    .option('--from <host>', 'the host it runs on, whose agent dumps it (default $FERRY_HOST, else the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .option('--keep-checkpoint', 'send the pages through the image server, which then keeps the whole checkpoint (restorable later, anywhere); slower: by default they go straight to the target, and the server keeps the records only')
    .option('--tcp-established', 'move established TCP connections too (the address they use must move to the target: see README)')
    .option('--json', 'progress and the summary as JSON lines on stdout'))
    .action(async (o) => {
      const from: string = o.from ?? config.host;
      let source: HostQueue | undefined;
      const display = (await import('./migrate-progress.js')).progressDisplay(!!o.json);
      try {
        if (from === o.to) throw new Error(`the tree is on ${from} already`);
        const { HostQueue, hostPrefix, migrate } = await import('@ferry/agent');
        hostPrefix(o.to);
        source = await HostQueue.open(from, await redisOf(o.redis), { agentNeeded: true, events: true });
        const report = await migrate(source, { pid: o.pid, to: o.to, keepCheckpoint: !!o.keepCheckpoint, tcpEstablished: !!o.tcpEstablished }, (p) => display.update(p));
        display.stop();
        process.stdout.write(o.json ? `${JSON.stringify({ event: 'migrated', ...report })}\n` : describeMigration(report));
      } catch (e) {
        display.stop();
        fail('migrate', e);
      } finally {
        await source?.close();
      }
    });
}

function describeMigration(r: MigrationReport): string {
  return `migrated pid ${r.pid} from ${r.from} to ${r.to} (pid ${r.pidThere} there): checkpoint ${r.checkpointId}, ${r.processes} processes, ` +
    `${(r.pageBytes / 1048576).toFixed(1)} MiB of pages ${r.pagesVia} at ${(r.pageRate / 1048576).toFixed(0)} MiB/s, downtime ${r.downtimeMs} ms, total ${r.totalMs} ms\n` +
    `stages on ${r.to}: ${Object.entries(r.stageMs).map(([stage, t]) => `${stage} ${t.toFixed(1)} ms`).join(', ')}\n`;
}
