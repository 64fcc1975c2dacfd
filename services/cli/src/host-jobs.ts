// Moved to @ferry/agent: kept until bench/ imports it from there.
export type { MigrationReport } from '@ferry/agent';
