import type { RedisOptions } from 'ioredis';

/**
 * Where the stage queues live: redis://[:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS.
 * PASSWORD (FERRY_REDIS_PASSWORD to the cli) is used when the URL has none, so that it need not
 * appear in process listings.
 */
export interface RedisConfig {
  options: RedisOptions;
  /** host:port, for messages: never the password. */
  where: string;
}

export function redisConfig(url: string, fallbackPassword?: string): RedisConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a redis URL: ${url}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`not a redis URL: ${url}`);
  const host = u.hostname || '127.0.0.1';
  const port = u.port ? Number(u.port) : 6379;
  const password = u.password ? decodeURIComponent(u.password) : fallbackPassword || undefined;
  const options: RedisOptions = {
    host,
    port,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    // BullMQ's blocking connections require it; a restore bounds its waits with stage timeouts instead.
    maxRetriesPerRequest: null,
    connectTimeout: 2000,
  };
  return { options, where: `${host}:${port}` };
}

/**
 * A host's stage queue. BullMQ forbids ':' in queue names, so the host goes in the key prefix and
 * the keys read ferry:HOST:stages:*. A flow may put children on another host's queue (the prefix
 * is per job), which is how the source host's dumper will take part in a migration's stages.
 */
export interface StageQueue {
  prefix: string;
  name: string;
}

export function stageQueue(host: string): StageQueue {
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new Error(`not a usable host name for a stage queue: ${host}`);
  return { prefix: `ferry:${host}`, name: 'stages' };
}
