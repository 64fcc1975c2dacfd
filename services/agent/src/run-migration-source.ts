import { Redis } from 'ioredis';
import { migrateOut, type MigrationSourceOptions } from './migration-source.js';
import { recordOutcome, type MigrationOutcome } from './migration-outcome.js';
import { announcePresence, migrationSourceKey } from './presence.js';

/**
 * The source side of a migration as the process of its own that agent a starts for a migration
 * job: it says it is there while it runs and leaves the outcome in Redis for `migrate`, which finds
 * it there if agent a died meanwhile.
 */
export async function runMigrationSource(o: MigrationSourceOptions): Promise<MigrationOutcome> {
  // Gone without an outcome: `migrate` knows then that nobody will report.
  const stopAnnouncing = announcePresence(o.redis.options, migrationSourceKey(o.migrationId));
  let outcome: MigrationOutcome;
  try {
    outcome = { ok: true, report: await migrateOut(o) };
  } catch (e) {
    outcome = { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const client = new Redis({ ...o.redis.options, maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  await recordOutcome(client, o.migrationId, outcome).catch((e: Error) => o.say(`could not record the outcome: ${e.message}`));
  client.disconnect();
  stopAnnouncing();
  return outcome;
}
