import { LocalStages, type StageBarrier, type StageFaults } from './stages.js';
import type { RedisConfig } from './redis-config.js';
import { stageQueue } from './redis-config.js';
import type { Log } from './log.js';

export interface ClosableStages extends StageBarrier {
  close(): Promise<void>;
}

/** What `ferry restore` was asked for, and where a distributed barrier would run. */
export interface StagesChoice {
  /** local | bullmq */
  kind: string;
  /** Needed for bullmq. */
  redis?: RedisConfig;
  /** The host whose stage queue the flows use. */
  host: string;
  timeoutMs: number;
  faults?: StageFaults;
}

export async function openStages(choice: StagesChoice, log: Log): Promise<ClosableStages> {
  if (choice.kind === 'local') return Object.assign(new LocalStages(log, choice.faults), { close: async () => {} });
  if (choice.kind !== 'bullmq') throw new Error(`unknown stage barrier ${choice.kind}: local or bullmq`);
  if (!choice.redis) throw new Error('a bullmq barrier needs a redis');
  // Loaded only when asked for: importing bullmq costs every ferry command ~150 ms.
  const { BullStages } = await import('./bull-stages.js');
  return BullStages.open(choice.redis, stageQueue(choice.host), { timeoutMs: choice.timeoutMs, log, faults: choice.faults });
}
