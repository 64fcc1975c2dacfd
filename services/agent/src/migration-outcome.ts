// The source side of a migration runs in a process of its own, so that its agent may die without
// taking the frozen tree with it; it leaves its outcome in Redis, where `migrate` finds it then.
import type { Redis } from 'ioredis';
import type { MigrationReport } from './jobs.js';

const KEEP_S = 24 * 3600;

export type MigrationOutcome = { ok: true; report: MigrationReport } | { ok: false; error: string };

const outcomeKey = (migrationId: string) => `ferry:migration:${migrationId}:outcome`;

export async function recordOutcome(client: Redis, migrationId: string, outcome: MigrationOutcome): Promise<void> {
  await client.set(outcomeKey(migrationId), JSON.stringify(outcome), 'EX', KEEP_S);
}

export async function readOutcome(client: Redis, migrationId: string): Promise<MigrationOutcome | null> {
  const text = await client.get(outcomeKey(migrationId));
  return text === null ? null : (JSON.parse(text) as MigrationOutcome);
}
