import type { StageFaults } from '@ferry/restorer';
import type { NatsEnv } from '@ferry/transport';

/** Fault hooks for the tests: the agent never looks for them itself, its caller passes them. */
export interface Faults {
  /** The dump fails just before its commit record. */
  dumpBeforeCommit: boolean;
  stages: StageFaults;
}

/**
 * Where NATS is: a URL (undefined: the one ENV names, else the default) and the environment's
 * NATS settings. Resolved when connecting (natsConfig), so a bad setting fails that connection only.
 */
export interface NatsSettings {
  url?: string;
  env: NatsEnv;
}
