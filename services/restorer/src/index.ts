export { restore, restoreImage, type RestoreOptions, type RestoreImageOptions, type Restored } from './restore.js';
export { planRestore, PlanError, type RestorePlan } from './plan.js';
export { STAGES, LocalStages, StageError, type Stage, type StageBarrier, type StageFaults, type Participant, type StageReport } from './stages.js';
export type { Log } from './log.js';
export type { InheritFd } from './inherit-fd.js';
export { openStages, type ClosableStages, type StagesChoice } from './open-stages.js';
export { KINDS } from './kinds.js';
export type { ObjectKind, KindPart, FileObject, TreeView, TaskContext, ThreadContext, BuiltTree } from './object-kind.js';
