import type { Incremental } from './incremental.js';
import type { RecordSink } from '@ferry/proto';
import type { FrozenTask } from './frozen-task.js';
import type { FrozenTree } from './tree.js';
import type { DescribeContext } from './objects/file-kinds.js';

/** What the dump shares with every collector while the tree is frozen. */
export interface DumpContext {
  readonly tree: FrozenTree;
  /** Every open file the tasks' descriptors showed so far: collectors after the tasks see them all. */
  readonly files: DescribeContext;
  /** The tree is a job of a shell outside it (-j). */
  readonly shellJob: boolean;
  /** Locks on the tree's files are recorded (--file-locks); without it one fails the dump. */
  readonly fileLocks: boolean;
  /** The System V semaphore sets and message queues the tree uses are carried (--sysv-ipc); without it one fails the dump. */
  readonly sysvIpc: boolean;
  /** What the summary says of the pages: their bytes, and the time spent copying them. */
  readonly pages: { bytes: bigint; ms: number };
  /** dump --track-mem: the pre-dump this dump refers to for the pages not written since. */
  readonly incremental?: Incremental;
}

/** What becomes of the tree once the checkpoint is committed. */
export type Fate = 'kill' | 'resume';

/**
 * Writes one kind's records of a task, under the kind's own object ids. Says what it wrote for
 * the -v step log when its name does not say enough.
 */
export interface TaskCollector {
  readonly name: string;
  collect(task: FrozenTask, dump: DumpContext, sink: RecordSink): Promise<string | void>;
}

/**
 * What a collector took from the tree (a terminal's queued bytes) and still holds after writing
 * its records: released once the tree's fate is known, undone if the dump fails.
 */
export interface Holding {
  /** Called before the tree resumes or dies. */
  release(fate: Fate): void;
  /** Gives back what was taken: the tree runs on as it was. */
  undo(): void;
}

/**
 * Writes one kind's records for the whole tree. One that takes something from the tree returns
 * its Holding, and undoes it itself if it fails before it could.
 */
export interface TreeCollector {
  readonly name: string;
  collect(dump: DumpContext, sink: RecordSink): Promise<Holding | void>;
}
