import fs from 'node:fs';
import type { Core, Image } from '@ferry/proto';
import { ptrace, reapDeadChildren, handTerminalTo } from '@ferry/sys';
import type { LiveTaskPlan, RestorePlan } from './plan.js';
import type { BuiltTree, KindPart, ThreadContext } from './object-kind.js';
import type { SharedContext } from './shared-context.js';
import type { Participant } from './stages.js';
import { Stub, killAndReap } from './stub.js';
import { RestoringTask } from './restoring-task.js';
import { cloneWithPid } from './fork.js';
import { dropForkLeftovers } from './fork-leftovers.js';
import { leadSessionOrGroup, joinGroup, makeZombie, makeLeaderHelper, dismissLeaderHelper } from './objects/pstree.js';
import { createThreads, restoreThreadState, finishTask } from './objects/core.js';
import { checkPagesInBackground } from './page-check.js';
import { PageConsumer } from './page-consumer.js';
import type { Log } from './log.js';

export interface RestorationOptions {
  log: Log;
  /** File id -> the caller's descriptor that replaces it (--inherit-fd). */
  inherited: ReadonlyMap<string, number>;
  shellJob: boolean;
  tcpEstablished?: boolean;
  /** Give the root's process group the foreground of ferry's terminal (stdin) as it starts. */
  foreground: boolean;
  /** Runs just before the tasks are released; a rejection aborts the restore. */
  beforeRelease?: () => Promise<void>;
  /** The page store is a copy made for this restore: free its pages as they go in (PageConsumer). */
  consumePages: boolean;
}

/** Kills a task made by this restore and collects every thread's end (we trace them all). */
function removeTask(task: RestoringTask): void {
  task.close();
  for (const t of [...task.threads].reverse()) if (t.tid !== task.pid) killAndReap(t.tid);
  killAndReap(task.pid);
}

/** Waits (briefly) until none of PIDS exists, reaping the orphans that come to us meanwhile. */
async function reapOrphans(pids: number[]): Promise<void> {
  const deadline = Date.now() + 2000;
  for (;;) {
    reapDeadChildren();
    if (!pids.some((pid) => fs.existsSync(`/proc/${pid}`)) || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * One restore of a checked plan: the tree as it is being built (the stub, ferry's open files,
 * the tasks and helpers made so far), with the participants of each stage, built when the stage
 * starts, and the cleanup that removes everything made if any of them fails.
 */
export class Restoration {
  private stub: Stub | null = null;
  private readonly opened = new Map<string, number>();
  private readonly made = new Map<number, RestoringTask>();
  /** Stand-ins for dead session and group leaders, until RESTORE_SIGCHLD dismisses them. */
  private readonly leaders = new Map<number, RestoringTask>();
  /** Dead-pid /proc helpers, killed once the tree is complete. */
  private readonly helpers: number[] = [];
  private readonly pagesChecked: Promise<void>;
  private readonly consumer: PageConsumer | undefined;
  /** With `foreground`: the group that had ferry's terminal before. */
  previousForeground: number | null = null;

  constructor(private readonly image: Image, private readonly plan: RestorePlan, private readonly opts: RestorationOptions) {
    const pageCheck = checkPagesInBackground(image);
    this.pagesChecked = pageCheck.done;
    this.pagesChecked.catch(() => {}); // awaited in RESTORE_CREDS or the cleanup; a rejection before that is not unhandled
    this.consumer = opts.consumePages ? new PageConsumer(plan.pageStorePath, pageCheck.checkedUpTo) : undefined;
  }

  /** Bytes of the pages the live tasks received. */
  get pageBytes(): number {
    const live = new Set(this.plan.live.map((p) => p.task.pid));
    return this.image.pageRuns.reduce((n, r) => n + (live.has(r.pages.pid) ? r.pages.npages * 4096 : 0), 0);
  }

  namespaces(): Participant[] {
    return [];
  }

  /** The stub, then every kind's shared objects, opened by ferry before any task exists. */
  sharedObjects(): Participant[] {
    const reserved = this.plan.kinds.flatMap(({ part }) => part.reservedRanges ?? []);
    return [
      { name: 'stub', work: () => { this.stub = Stub.start(reserved); } },
      ...this.plan.kinds.filter(({ part }) => part.open).map(({ kind, part }) => ({
        name: `${kind.name} files`,
        work: () => part.open?.(this.sharedContext(), this.opened),
      })),
    ];
  }

  /** Every task, parents first, forked with its pid; a member of a session or group whose leader died gets its stand-in first. */
  forking(): Participant[] {
    const scheduledHelpers = new Set<number>();
    return this.plan.tasks.flatMap((t) => {
      const helper = this.plan.leaderHelpers.find((h) => h.pid === t.task.sid || h.pid === t.task.pgid);
      const helperFirst = helper && !scheduledHelpers.has(helper.pid) ? [helper] : [];
      helperFirst.forEach((h) => scheduledHelpers.add(h.pid));
      return [
        ...helperFirst.map((h) => ({
          name: `helper ${h.pid}`,
          work: () => { this.leaders.set(h.pid, makeLeaderHelper(this.taskOf(h.parent), h)); },
        })),
        {
          name: `${t.zombie ? 'zombie' : 'task'} ${t.task.pid}`,
          work: () => {
            if (t.zombie) return makeZombie(this.taskOf(t.task.ppid), t.task);
            const sessionHelper = this.plan.leaderHelpers.find((h) => h.forks.has(t.task.pid));
            const pid = t === this.plan.root ? this.seed.fork(t.task.pid)
              : sessionHelper ? cloneWithPid(this.leaderOf(sessionHelper.pid).injector, t.task.pid, 'sibling')
              : cloneWithPid(this.taskOf(t.task.ppid).injector, t.task.pid, 'child');
            const task = new RestoringTask(pid, this.seed.scratch);
            this.made.set(pid, task);
            leadSessionOrGroup(task, t.task);
          },
        },
      ];
    });
  }

  /** The kinds' own participants; then each task joins its group and is rebuilt, and each thread takes its own state. */
  tasks(): Participant[] {
    const inTree = (pid: number) => this.made.has(pid) || this.leaders.has(pid);
    const kindsFirst = this.plan.kinds.flatMap(({ part }) => part.participants?.RESTORE?.(this.built, this.opened) ?? []);
    return [...kindsFirst, ...this.plan.live.flatMap((p) => [
      {
        name: `task ${p.task.pid}`,
        work: () => {
          const task = this.taskOf(p.task.pid);
          joinGroup(task, p.task, inTree);
          this.rebuildTask(task, p);
        },
      },
      ...this.threadsOf(p, (task, core) => restoreThreadState(task.thread(core.tid), core)),
    ])];
  }

  /** The kinds' own participants, then the leader helpers go, then every thread's signals. */
  sigchld(): Participant[] {
    return [
      ...this.plan.kinds.flatMap(({ part }) => part.participants?.RESTORE_SIGCHLD?.(this.built) ?? []),
      ...this.plan.leaderHelpers.map((h) => ({
        name: `helper ${h.pid}`,
        work: () => {
          dismissLeaderHelper(this.leaderOf(h.pid), this.taskOf(h.parent));
          this.leaders.delete(h.pid);
        },
      })),
      ...this.plan.live.flatMap((p) => this.threadsOf(p, (task, core) => this.eachThreadPart('RESTORE_SIGCHLD', { task, core, cores: p.cores }))),
    ];
  }

  /** Every thread's credentials, then its registers; and the page digests. */
  creds(): Participant[] {
    return [
      ...this.plan.live.flatMap((p) => this.threadsOf(p, (task, core) => {
        this.eachThreadPart('RESTORE_CREDS', { task, core, cores: p.cores });
        if (core.tid === p.task.pid) finishTask(task, p.cores);
      })),
      // Nothing runs before every page has been checked against its digest.
      { name: 'page digests', work: () => this.pagesChecked.then(() => this.consumer?.checked()) },
    ];
  }

  /** The helpers end, every thread is let go, then the stub ends. */
  release(): Participant[] {
    const { beforeRelease } = this.opts;
    return [
      // A migration's target asks, last thing before anything runs, whether it still takes over.
      ...(beforeRelease ? [{ name: 'take-over decision', work: () => beforeRelease() }] : []),
      ...this.plan.kinds.flatMap(({ part }) => part.participants?.COMPLETE?.() ?? []),
      // Before anything runs: a shell job reading its terminal from the background would stop.
      ...(this.opts.foreground ? [{ name: 'terminal foreground', work: () => { this.previousForeground = handTerminalTo(0, this.plan.root.task.pgid); } }] : []),
      // Before anything runs: a restored task reading a dead pid's /proc file must find that pid
      // gone (ESRCH), never its helper alive or a zombie.
      { name: 'helpers', work: () => { for (const pid of this.helpers.splice(0)) killAndReap(pid); } },
      ...this.plan.live.flatMap((p) => this.threadsOf(p, (task, core) => {
        ptrace.detach(core.tid);
        if (core.tid === p.task.pid) task.close();
      })),
      { name: 'stub', work: () => this.seed.kill() },
    ];
  }

  /** After a failed stage: every task and helper made so far is killed and reaped, and the kinds undo what outlives them. */
  async cleanup(): Promise<void> {
    await this.pagesChecked.catch(() => {});
    const steps = [
      ...[...this.made.values(), ...this.leaders.values()].reverse().map((task) => () => removeTask(task)),
      ...this.helpers.map((pid) => () => killAndReap(pid)),
      () => this.stub?.kill(),
      ...this.plan.kinds.map(({ part }) => () => part.undo?.()),
    ];
    for (const step of steps) {
      try {
        step();
      } catch (cleanupError) {
        this.opts.log.debug(`cleanup after a failed restore: ${(cleanupError as Error).message}`);
      }
    }
    await reapOrphans([...this.plan.tasks.map((t) => t.task.pid), ...this.helpers, ...this.plan.leaderHelpers.map((h) => h.pid)]);
  }

  /** Ferry's own descriptors and the page store, whether the restore succeeded or not. */
  close(): void {
    for (const fd of this.opened.values()) fs.closeSync(fd);
    this.opened.clear();
    if (this.consumer) {
      this.opts.log.debug(`freed ${this.consumer.freedBytes} of ${this.plan.pageStorePath}'s ${this.image.commit.pageBytes} bytes as the pages went in`);
      this.consumer.close();
    }
  }

  /** A task's own part of RESTORE: the fork's leftovers go, every kind's part in registry order, then its other threads. */
  private rebuildTask(task: RestoringTask, plan: LiveTaskPlan): void {
    dropForkLeftovers(task);
    const ctx = { task, opened: this.opened, log: this.opts.log, consumer: this.consumer };
    for (const { part } of this.plan.kinds) part.perTask?.RESTORE?.(ctx);
    createThreads(task, plan.cores);
  }

  private eachThreadPart(stage: keyof NonNullable<KindPart['perThread']>, ctx: ThreadContext): void {
    for (const { part } of this.plan.kinds) part.perThread?.[stage]?.(ctx);
  }

  // Leaders last: a leader's part ends the task's work in stages where its threads need the scratch page.
  private threadsOf(p: LiveTaskPlan, work: (task: RestoringTask, core: Core) => void): Participant[] {
    return [...p.cores].reverse().map((core) => ({ name: `thread ${core.tid}`, work: () => work(this.taskOf(p.task.pid), core) }));
  }

  private sharedContext(): SharedContext {
    return { image: this.image, log: this.opts.log, stub: this.seed, helpers: this.helpers, inherited: this.opts.inherited, shellJob: this.opts.shellJob, tcpEstablished: !!this.opts.tcpEstablished };
  }

  private readonly built: BuiltTree = { has: (pid) => this.made.has(pid), task: (pid) => this.taskOf(pid) };

  private get seed(): Stub {
    if (!this.stub) throw new Error('the restore stub was not started');
    return this.stub;
  }

  private taskOf(pid: number): RestoringTask {
    const task = this.made.get(pid);
    if (!task) throw new Error(`task ${pid} was not made`);
    return task;
  }

  private leaderOf(pid: number): RestoringTask {
    const helper = this.leaders.get(pid);
    if (!helper) throw new Error(`helper ${pid} was not made`);
    return helper;
  }
}
