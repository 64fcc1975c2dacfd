// A process says it is alive with a key that expires unless renewed (from a thread of its own): the
// other side of a migration stops waiting for an agent (or a migration's dumper) that died instead
// of sitting out a timeout.
import { Worker } from 'node:worker_threads';
import type { Redis, RedisOptions } from 'ioredis';
import { hostPrefix } from './jobs.js';

const RENEW_MS = 1000;
const EXPIRE_MS = 3000;

export const agentKey = (host: string) => `${hostPrefix(host)}:agent`;
export const migrationSourceKey = (migrationId: string) => `ferry:migration:${migrationId}:source`;

/** Keeps KEY alive until the returned stop is called (or the process ends). */
export function announcePresence(redis: RedisOptions, key: string): () => void {
  const thread = new Worker(new URL('./presence-thread.js', import.meta.url), {
    workerData: { redis, key, renewMs: RENEW_MS, expireMs: EXPIRE_MS, pid: process.pid },
  });
  // The process may end while the thread still says it is there: the key then expires on its own.
  thread.unref();
  return () => thread.postMessage('stop');
}

export async function present(client: Redis, key: string): Promise<boolean> {
  return (await client.exists(key)) === 1;
}
