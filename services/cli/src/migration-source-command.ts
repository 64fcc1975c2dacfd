import type { Command } from 'commander';
import { Redis } from 'ioredis';
import { natsOption } from './nats-options.js';
import { redisOf } from './config.js';
import { pidArg } from './pid-arg.js';
import { fail } from './fail.js';
import { migrateOut } from './migration-source.js';
import { recordOutcome, type MigrationOutcome } from './migration-outcome.js';
import { announcePresence, migrationSourceKey } from './agent-presence.js';

/**
 * `ferry migrate-source`, not for people: what agent a runs for a migration job, in a session of
 * its own. It prints the report as one JSON line and leaves the outcome in Redis for `migrate`.
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
    .option('-v, --verbose', 'show each step on stderr'))
    .action(async (o) => {
      // The agent that reads our output may be gone: the migration goes on regardless.
      process.stdout.on('error', () => {});
      process.stderr.on('error', () => {});
      const redis = redisOf(o.redis);
      const say = (line: string) => process.stderr.write(`ferry migrate-source: ${line}\n`);
      // Gone without an outcome: `migrate` knows then that nobody will report.
      const stopAnnouncing = announcePresence(redis.options, migrationSourceKey(o.migrationId));
      let outcome: MigrationOutcome;
      try {
        const report = await migrateOut({ pid: o.pid, from: o.from, to: o.to, migrationId: o.migrationId, keepCheckpoint: !!o.keepCheckpoint, redis, nats: o.nats, verbose: !!o.verbose, say });
        outcome = { ok: true, report };
      } catch (e) {
        outcome = { ok: false, error: e instanceof Error ? e.message : String(e) };
      }
      const client = new Redis({ ...redis.options, maxRetriesPerRequest: 3 });
      client.on('error', () => {});
      await recordOutcome(client, o.migrationId, outcome).catch((e: Error) => say(`could not record the outcome: ${e.message}`));
      client.disconnect();
      stopAnnouncing();
      if (!outcome.ok) fail('migrate-source', new Error(outcome.error));
      process.stdout.write(`${JSON.stringify(outcome.report)}\n`, () => process.exit(0));
    });
}
