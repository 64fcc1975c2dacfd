import os from 'node:os';
import type { RedisConfig } from '@ferry/restorer/bullmq';
import type { NatsEnv } from '@ferry/transport';
import type { Faults, NatsSettings } from '@ferry/agent/checkpoint-io';

/**
 * Everything ferry takes from its environment, read once, here: library code gets it as options.
 * The FERRY_FAIL_* and FERRY_SLOW_STAGE variables are fault hooks for the tests.
 */
export interface FerryConfig {
  /** FERRY_HOST, else the host name: whose queues this process serves. */
  host: string;
  /** FERRY_REDIS_URL; --redis overrides it. */
  redisUrl: string;
  /** FERRY_REDIS_PASSWORD: used when the URL carries none. */
  redisPassword?: string;
  /** FERRY_STAGE_TIMEOUT_MS: a distributed stage not done by then fails. */
  stageTimeoutMs: number;
  /** FERRY_MIGRATE_TIMEOUT_MS: a migration's source gives up on a silent target after it. */
  migrateTimeoutMs: number;
  /** FERRY_PAGES_UNCLAIMED_MS: pages received for a migration wait this long for its restore. */
  pagesUnclaimedMs: number;
  /** FERRY_STATS: a file that receives what a command measured (the benchmark reads it). */
  statsFile?: string;
  /** FERRY_NATS_URL, FERRY_NATS_USER, FERRY_NATS_PASSWORD, FERRY_NATS_TOKEN. */
  natsEnv: NatsEnv;
  /** FERRY_FAIL_DUMP=commit (dumpBeforeCommit); FERRY_FAIL_STAGE, FERRY_SLOW_STAGE (stages). */
  faults: Faults;
}

const positive = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return value && Number.isFinite(n) && n > 0 ? n : fallback;
};

export function readConfig(env: NodeJS.ProcessEnv): FerryConfig {
  return {
    host: env.FERRY_HOST || os.hostname(),
    redisUrl: env.FERRY_REDIS_URL || 'redis://127.0.0.1:6379',
    redisPassword: env.FERRY_REDIS_PASSWORD || undefined,
    stageTimeoutMs: positive(env.FERRY_STAGE_TIMEOUT_MS, 60_000),
    migrateTimeoutMs: positive(env.FERRY_MIGRATE_TIMEOUT_MS, 120_000),
    pagesUnclaimedMs: positive(env.FERRY_PAGES_UNCLAIMED_MS, 180_000),
    statsFile: env.FERRY_STATS || undefined,
    natsEnv: Object.fromEntries(['FERRY_NATS_URL', 'FERRY_NATS_USER', 'FERRY_NATS_PASSWORD', 'FERRY_NATS_TOKEN'].map((k) => [k, env[k]])),
    faults: {
      dumpBeforeCommit: env.FERRY_FAIL_DUMP === 'commit',
      stages: { fail: env.FERRY_FAIL_STAGE || undefined, slow: env.FERRY_SLOW_STAGE || undefined },
    },
  };
}

export const config: FerryConfig = readConfig(process.env);

/** The Redis of --redis URL if given, else of the environment (loaded when asked: a local command needs no BullMQ). */
export async function redisOf(url: string | undefined): Promise<RedisConfig> {
  const { redisConfig } = await import('@ferry/restorer/bullmq');
  return redisConfig(url ?? config.redisUrl, config.redisPassword);
}

/** NATS at --nats URL if given, else as the environment says. */
export function natsOf(url: string | undefined): NatsSettings {
  return { url, env: config.natsEnv };
}
