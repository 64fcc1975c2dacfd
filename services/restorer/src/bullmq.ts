// The distributed stage barrier's parts, for an agent or a test that builds its own, kept out of
// the main entry so that commands that do not use it never load bullmq.
export { BullStages, type BullStageReport, type BullStagesOptions } from './bull-stages.js';
export { StageWorker, type StageJobData } from './stage-worker.js';
export { StageRegistry } from './stage-registry.js';
export { redisConfig, stageQueue, type RedisConfig, type StageQueue } from './redis-config.js';
