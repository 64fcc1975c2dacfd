import type { Log } from '@ferry/restorer';
import type { RedisConfig } from '@ferry/restorer/bullmq';
import type { AgentPages } from './pages.js';
import type { Faults, NatsSettings } from './options.js';
import type { MigrateJob } from './jobs.js';

/** What a migration's source process is told: the job, and the host it runs on. */
export interface MigrationSourceRequest extends MigrateJob {
  from: string;
}

/** What the agent's jobs run with. */
export interface AgentContext {
  host: string;
  redis: RedisConfig;
  nats: NatsSettings;
  log: Log;
  /** A distributed stage not done by then fails. */
  stageTimeoutMs: number;
  faults: Faults;
  /** The command line of a migration's source process (its program first). */
  migrationSourceCommand: (request: MigrationSourceRequest) => string[];
  /** Children node started (and reaps): the agent's own reaper leaves them alone. */
  spawned: Set<number>;
  /** Pages sent here by migrations' sources; absent with the page stream off. */
  pages?: AgentPages;
}
