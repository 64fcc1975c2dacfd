// A process says it is alive with a key that expires unless renewed: the other side of a migration
// stops waiting for an agent (or a migration's dumper) that died instead of sitting out a timeout.
import { Redis, type RedisOptions } from 'ioredis';
import { hostPrefix } from './host-jobs.js';

const RENEW_MS = 1000;
const EXPIRE_MS = 3000;

export const agentKey = (host: string) => `${hostPrefix(host)}:agent`;
export const migrationSourceKey = (migrationId: string) => `ferry:migration:${migrationId}:source`;

/** Keeps KEY alive until the returned stop is called (or the process ends). */
export function announcePresence(redis: RedisOptions, key: string): () => void {
  const client = new Redis({ ...redis, maxRetriesPerRequest: 1 });
  // A Redis that went away is for others to report; presence resumes when it is back.
  client.on('error', () => {});
  const renew = () => client.set(key, String(process.pid), 'PX', EXPIRE_MS).catch(() => {});
  void renew();
  const timer = setInterval(renew, RENEW_MS);
  return () => {
    clearInterval(timer);
    void client.del(key).catch(() => {}).finally(() => client.disconnect());
  };
}

export async function present(client: Redis, key: string): Promise<boolean> {
  return (await client.exists(key)) === 1;
}
