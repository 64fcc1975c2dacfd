import type { Command } from 'commander';
import { natsOption } from './nats-options.js';
import { config, natsOf, redisOf } from './config.js';
import { makeLogger } from './logger.js';
import { fail } from './fail.js';
import { pageStreamArg } from './page-stream-arg.js';
import { migrationSourceCommand } from './migration-source-command.js';

/** `ferry agent --host NAME`: serves a host (see Agent) until it is killed. */
export function registerAgent(program: Command): void {
  natsOption(program
    .command('agent')
    .description('serve a host: run the jobs of its queue (migrations from and to it, checkpoints, restores of stored checkpoints)')
    .option('--host <name>', 'the host this agent serves (default $FERRY_HOST, else the host name)')
    .option('--redis <url>', 'Redis of the job queues (default $FERRY_REDIS_URL)')
    .option('--page-stream <host:port>', 'where migrations to this host send their pages over TCP: an address the source hosts can reach (port 0: any free one); "off": through the image server', '127.0.0.1:0')
    .option('-v, --verbose', 'show each step on stderr'))
    .action(async (o) => {
      try {
        const host: string = o.host ?? config.host;
        const { Agent } = await import('@ferry/agent');
        const agent = await Agent.start({
          host,
          redis: await redisOf(o.redis),
          nats: natsOf(o.nats),
          pageStream: pageStreamArg(o.pageStream),
          log: makeLogger(!!o.verbose),
          say: (line) => process.stderr.write(`ferry agent ${host}: ${line}\n`),
          stageTimeoutMs: config.stageTimeoutMs,
          pagesUnclaimedMs: config.pagesUnclaimedMs,
          faults: config.faults,
          // The source process gets the servers as this agent was given them, and its environment.
          migrationSourceCommand: (request) => migrationSourceCommand(request, { redis: o.redis, nats: o.nats, verbose: !!o.verbose }),
        });
        const pages = agent.pageStreamAddress;
        process.stdout.write(`agent ${host} ready${pages ? `, page stream on ${pages}` : ''}\n`);
      } catch (e) {
        fail('agent', e);
      }
    });
}
