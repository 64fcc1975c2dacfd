// The jobs a host's agent takes from its BullMQ queue (prefix ferry:HOST, queue "jobs").

export const JOB_QUEUE = 'jobs';

export function hostPrefix(host: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(host)) throw new Error(`not a host name: ${JSON.stringify(host)}`);
  return `ferry:${host}`;
}

/** Restore the stored checkpoint on the agent's host, detached; the result is the restored root pid. */
export interface RestoreJob {
  checkpointId: string;
  /** Established TCP connections are brought back (--tcp-established). */
  tcpEstablished?: boolean;
}

export interface RestoreJobResult {
  pid: number;
  stageMs: Record<string, number>;
}

/** On the source host: dump PID to the image server, held frozen until host TO runs it. */
export interface MigrateJob {
  pid: number;
  to: string;
  migrationId: string;
  /** The pages go through the image server, which keeps the whole checkpoint (--keep-checkpoint). */
  keepCheckpoint?: boolean;
  /** Established TCP connections move too, in repair mode (--tcp-established). */
  tcpEstablished?: boolean;
}

export interface MigrationReport {
  pid: number;
  from: string;
  to: string;
  pidThere: number;
  checkpointId: string;
  processes: number;
  pageBytes: number;
  /** Page bytes per second while the pages streamed out (the dumper's page copying, frozen). */
  pageRate: number;
  /** From the freeze on a to a hearing that the copy runs on b. */
  downtimeMs: number;
  /** From the freeze to the source's end on a (killing a large tree takes a while, after b runs). */
  sourceFrozenMs: number;
  totalMs: number;
  stageMs: Record<string, number>;
  /** "straight to HOST" (its agent took them while the tree was dumped), or "through the image server". */
  pagesVia: string;
}

/** What a migration job reports while it runs (BullMQ job progress). */
export interface MigrationProgress {
  phase: 'dumping' | 'restoring';
  pageBytes: number;
  /** The tree's resident memory before the freeze: what the pages will come to, about. */
  expectedBytes: number;
  /** The stage the target is in, once it restores. */
  stage?: string;
}

/** The target's restore job of a migration has a name derived from it, so anyone can find it. */
export function restoreJobId(migrationId: string): string {
  return `${migrationId}-restore`;
}

export const CHECKPOINT_JOB = 'checkpoint';

/** A repeating checkpoint's schedule id on its host: one per process. */
export const scheduleId = (pid: number) => `pid-${pid}`;

/** Dump PID to the image server as a checkpoint of WORKLOAD (default HOST:PID:EXE), the last KEEPLAST of it kept. */
export interface CheckpointJob {
  pid: number;
  name?: string;
  keepLast?: number;
  leaveRunning: boolean;
  /** The tree's file locks are recorded (--file-locks); without it a tree holding one is refused. */
  fileLocks?: boolean;
}

export interface CheckpointJobResult {
  checkpointId: string;
  pid: number;
  workload: string;
  pageBytes: number;
  /** The whole job, and the part the tree was frozen. */
  ms: number;
  frozenMs: number;
}
