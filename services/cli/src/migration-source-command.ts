import type { Command } from 'commander';
import type { MigrationSourceRequest } from '@ferry/agent';
import { natsOption } from './nats-options.js';
import { config, natsOf, redisOf } from './config.js';
import { makeLogger } from './logger.js';
import { pidArg } from './pid-arg.js';
import { fail } from './fail.js';

/**
 * `ferry migrate-source`, not for people: what agent a runs for a migration job, in a session of
 * its own (see runMigrationSource). It prints the checkpoint's id as a JSON line first (so that the
 * agent can give back what a killed dumper held) and the report as its last.
 */
export function registerMigrationSource(program: Command): void {
  natsOption(program
    .command('migrate-source', { hidden: true })
    .requiredOption('--pid <pid>', 'root of the tree', pidArg)
    .requiredOption('--from <host>', 'this host')
    .requiredOption('--to <host>', 'the target host')
    .requiredOption('--migration-id <id>', 'the migration job')
    .option('--redis <url>', 'Redis of the job queues')
    .option('--keep-checkpoint', 'pages through the image server, not straight to the target')
    .option('--tcp-established', 'established TCP connections move too')
    .option('-v, --verbose', 'show each step on stderr'))
    .action(async (o) => {
      // The agent that reads our output may be gone: the migration goes on regardless.
      process.stdout.on('error', () => {});
      process.stderr.on('error', () => {});
      const { runMigrationSource } = await import('@ferry/agent');
      const outcome = await runMigrationSource({
        pid: o.pid, from: o.from, to: o.to, migrationId: o.migrationId, keepCheckpoint: !!o.keepCheckpoint, tcpEstablished: !!o.tcpEstablished,
        redis: await redisOf(o.redis),
        nats: natsOf(o.nats),
        log: makeLogger(!!o.verbose),
        say: (line) => process.stderr.write(`ferry migrate-source: ${line}\n`),
        onCheckpoint: (checkpointId) => process.stdout.write(`${JSON.stringify({ checkpointId })}\n`),
        takeOverTimeoutMs: config.migrateTimeoutMs,
        faults: config.faults,
      });
      if (!outcome.ok) fail('migrate-source', new Error(outcome.error));
      process.stdout.write(`${JSON.stringify(outcome.report)}\n`, () => process.exit(0));
    });
}

/** The command line of `ferry migrate-source` for REQUEST, with the agent's own --redis, --nats and -v. */
export function migrationSourceCommand(request: MigrationSourceRequest, flags: { redis?: string; nats?: string; verbose: boolean }): string[] {
  const { pid, from, to, migrationId, keepCheckpoint, tcpEstablished } = request;
  const argv = [process.execPath, process.argv[1]!, 'migrate-source', '--pid', String(pid), '--from', from, '--to', to, '--migration-id', migrationId];
  if (keepCheckpoint) argv.push('--keep-checkpoint');
  if (tcpEstablished) argv.push('--tcp-established');
  if (flags.nats !== undefined) argv.push('--nats', flags.nats);
  if (flags.redis !== undefined) argv.push('--redis', flags.redis);
  if (flags.verbose) argv.push('-v');
  return argv;
}
