import { LocalStages, type StageBarrier } from './stages.js';
import { redisConfig, stageQueue } from './redis-config.js';
import type { Log } from './log.js';

export interface ClosableStages extends StageBarrier {
  close(): Promise<void>;
}

/** What `ferry restore` was asked for: --stages local|bullmq, --redis URL (which implies bullmq). */
export interface StagesChoice {
  stages?: string;
  redis?: string;
}

const DEFAULT_STAGE_TIMEOUT_MS = 60_000;

export async function openStages(choice: StagesChoice, log: Log): Promise<ClosableStages> {
  const kind = choice.stages ?? (choice.redis ? 'bullmq' : 'local');
  if (kind === 'local') return Object.assign(new LocalStages(log), { close: async () => {} });
  if (kind !== 'bullmq') throw new Error(`unknown stage barrier ${kind}: local or bullmq`);
  const timeoutMs = Number(process.env.FERRY_STAGE_TIMEOUT_MS) || DEFAULT_STAGE_TIMEOUT_MS;
  // Loaded only when asked for: importing bullmq costs every ferry command ~150 ms.
  const { BullStages } = await import('./bull-stages.js');
  return BullStages.open(redisConfig(choice.redis), stageQueue(), { timeoutMs, log });
}
