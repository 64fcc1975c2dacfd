// A host's agent (its job queue, the migration's source and target, checkpoint jobs) and the
// queue contract the commands that give it work use. The local commands' part without BullMQ is
// @ferry/agent/checkpoint-io.
export { Agent, type AgentOptions } from './agent.js';
export type { MigrationSourceRequest } from './context.js';
export { runMigrationSource } from './run-migration-source.js';
export type { MigrationSourceOptions } from './migration-source.js';
export type { MigrationOutcome } from './migration-outcome.js';
export { migrate } from './migration.js';
export { restoreOnHost } from './remote-restore.js';
export { checkpointOnce, scheduleCheckpoints, stopSchedule, type CheckpointRequest } from './checkpoint-requests.js';
export { checkpointJobs, type JobRow, type ScheduleRow } from './checkpoint-job-list.js';
export { HostQueue, AgentGone, type HostQueueOptions } from './host-queue.js';
export { agentKey } from './presence.js';
export {
  hostPrefix, type MigrateJob, type MigrationProgress, type MigrationReport, type RestoreJobResult, type CheckpointJob, type CheckpointJobResult,
} from './jobs.js';
export type { Faults, NatsSettings } from './options.js';
