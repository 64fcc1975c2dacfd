export { restore, type RestoreOptions, type Restored } from './restore.js';
export { planRestore, PlanError, type RestorePlan } from './plan.js';
export { STAGES, LocalStages, type Stage, type StageBarrier } from './stages.js';
export type { Log } from './log.js';
