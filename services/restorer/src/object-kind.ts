import type { Core, Image, Task } from '@ferry/proto';
import type { Range } from './address-space.js';
import type { Log } from './log.js';
import type { PageConsumer } from './page-consumer.js';
import type { RestoringTask } from './restoring-task.js';
import type { SharedContext } from './shared-context.js';
import type { Participant } from './stages.js';

/** The tree as the planner has checked it, for the kinds' own checks. */
export interface TreeView {
  /** The tasks that are not zombies, parents before their children, the root first. */
  live: readonly Task[];
  isLive(pid: number): boolean;
  /** Every pid and thread id of the tree. */
  tids: ReadonlySet<number>;
  /** Every file object of the image, of every kind: what a descriptor may name. */
  fileIds: ReadonlySet<string>;
  /** The file objects a task opens itself (see FileObject.openedByTask). */
  openedByTask: ReadonlySet<string>;
}

/** A file object of the image, which descriptors name by id. */
export interface FileObject {
  id: string;
  /** What /proc/PID/fd showed for it at dump, for a kind a caller can hand over (--inherit-fd). */
  name?: string;
  /** The task opens it itself (a /dev/tty), so it is not taken from ferry with the other fds. */
  openedByTask?: boolean;
  /** The dump left it out (it is outside the tree): the caller must hand it over. */
  leftOut?: boolean;
}

/** What a task's own work in RESTORE has. */
export interface TaskContext {
  task: RestoringTask;
  /** File id -> ferry's descriptor, from the openers of RESTORE_SHARED. */
  opened: ReadonlyMap<string, number>;
  log: Log;
  /** Set when the page store is a disposable copy (see PageConsumer). */
  consumer?: PageConsumer;
}

/** What a thread's work has: its task, its own core record and those of its task. */
export interface ThreadContext {
  task: RestoringTask;
  core: Core;
  /** Every thread's, the leader first. */
  cores: readonly Core[];
}

/** The tasks this restore has made so far (helpers excluded). */
export interface BuiltTree {
  has(pid: number): boolean;
  task(pid: number): RestoringTask;
}

/**
 * A kind's part of one restore, given by its check. Every hook runs at the stage it is named
 * after; within a stage the kinds go in the order of the registry (kinds.ts).
 */
export interface KindPart {
  /** Address ranges the image's tasks use: the restorer's scratch page goes elsewhere. */
  reservedRanges?: readonly Range[];
  /** RESTORE_SHARED: opens the kind's shared objects in ferry into `opened` (participant `${name} files`). */
  open?(ctx: SharedContext, opened: Map<string, number>): void;
  /** Work inside each live task's own participant (`task PID`). */
  perTask?: { RESTORE?(ctx: TaskContext): void };
  /** Work inside each thread's participant (`thread TID`), the leader's last. */
  perThread?: { RESTORE_SIGCHLD?(ctx: ThreadContext): void; RESTORE_CREDS?(ctx: ThreadContext): void };
  /**
   * Participants of the kind's own. RESTORE: before the tasks' own, for objects that must be made
   * inside a task by injected calls (every task exists by then) and that ferry then takes into
   * `opened` (a socket, whose peer sees who made it). RESTORE_SIGCHLD: before the leader helpers
   * go and the threads take their signals. COMPLETE: once the restore is sure to go through
   * (after a migration's take-over decision) and before any task runs.
   */
  participants?: { RESTORE?(tree: BuiltTree, opened: Map<string, number>): Participant[]; RESTORE_SIGCHLD?(tree: BuiltTree): Participant[]; COMPLETE?(): Participant[] };
  /** After a failed restore: removes what the kind made that outlives the tree's processes (IPC objects). */
  undo?(): void;
}

/** One kind of object of the checkpoint, as the restorer sees it. */
export interface ObjectKind {
  /** For participants and messages. */
  name: string;
  /** The file objects of the kind in IMAGE, if it is a kind of file. */
  files?(image: Image): FileObject[];
  /** Checks the kind's records against the image and the tree (PlanError naming the record), before anything is made. */
  check(image: Image, tree: TreeView): KindPart;
}
