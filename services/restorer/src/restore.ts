import fs from 'node:fs';
import { loadLocalImage, type Core } from '@ferry/proto';
import { ptrace, waitForAsync, setChildSubreaper, reapDeadChildren, handTerminalTo, type WaitResult } from '@ferry/sys';
import { planRestore, type LiveTaskPlan, type RestorePlan } from './plan.js';
import { Stub, killAndReap } from './stub.js';
import { RestoringTask } from './restoring-task.js';
import { cloneWithPid } from './fork.js';
import { LocalStages, type Participant, type StageBarrier } from './stages.js';
import { prepareAddressSpace, mapVmas, protectVmas, type SharedMemory } from './objects/vma.js';
import { fillPages } from './objects/pages.js';
import { restoreMm } from './objects/mm.js';
import { closeFiles } from './objects/regfile.js';
import { FILE_KINDS } from './objects/file-kinds.js';
import { closeInheritedFds, installFds } from './objects/fd.js';
import { watchEventPollTargets } from './objects/eventpoll.js';
import { takeControllingTerminal } from './objects/tty.js';
import { reopenDevTty } from './objects/ttyfile.js';
import { restoreProcAttrs } from './objects/procattrs.js';
import { restoreSigactions, queueSignals, dropChildSignals } from './objects/signals.js';
import { leadSessionOrGroup, joinGroup, makeZombie, makeLeaderHelper, dismissLeaderHelper } from './objects/pstree.js';
import { restoreCreds } from './objects/creds.js';
import { dropInheritedRseq, createThreads, restoreThreadState, finishTask } from './objects/core.js';
import { ensurePidFree } from './pid-check.js';
import { matchInheritFds, type InheritFd } from './inherit-fd.js';
import { checkPagesInBackground } from './page-check.js';
import { PageConsumer } from './page-consumer.js';
import { silentLog, type Log } from './log.js';

const ALL_SIGNALS = 0xffffffffffffffffn;

export interface RestoreOptions {
  dir: string;
  log?: Log;
  pidfile?: string;
  /** Descriptors of this process that take the place of files of the checkpoint (--inherit-fd). */
  inheritFds?: InheritFd[];
  /** The tree was dumped as a shell job (-j): its terminal is the one ferry runs in. */
  shellJob?: boolean;
  /** Give the root's process group the foreground of ferry's terminal (stdin) as it starts. */
  foreground?: boolean;
  /** Runs just before the tasks are released; a rejection aborts the restore (nothing is left). */
  beforeRelease?: () => Promise<void>;
  /**
   * The image is a copy made for this restore (fetched, or received in a migration): its pages
   * are freed from the page store as they move into the tasks (see PageConsumer). The image is
   * useless afterwards, whether the restore succeeds or not.
   */
  consumePages?: boolean;
}

export interface Restored {
  pid: number;
  pageBytes: number;
  stageMs: Record<string, number>;
  /** Resolves when the restored root ends (it is ferry's child). */
  wait(): Promise<WaitResult>;
  /** With `foreground`: the group that had ferry's terminal before, to give it back. */
  previousForeground: number | null;
}

/** The mapping of each page run, so that mappings that receive pages are writable until they have them. */
function mappingsWithPages(plan: LiveTaskPlan): Set<bigint> {
  const starts = plan.vmas.map((v) => v.start);
  const out = new Set<bigint>();
  for (const p of plan.pages) {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= p.vaddr) lo = mid; else hi = mid - 1;
    }
    out.add(starts[lo]!);
  }
  return out;
}

/** A task's own part of RESTORE: memory, files, attributes, handlers, then its other threads. */
function rebuildTask(task: RestoringTask, plan: LiveTaskPlan, pageStorePath: string, consumer: PageConsumer | undefined, opened: Map<string, number>, shared: SharedMemory, log: Log): void {
  const receiving = mappingsWithPages(plan);
  const receivesPages = (v: { start: bigint }) => receiving.has(v.start);
  dropInheritedRseq(task);
  closeInheritedFds(task);
  prepareAddressSpace(task, plan.vmas);
  restoreMm(task, plan.mm);
  mapVmas(task, plan.vmas, receivesPages, shared);
  fillPages(task, plan.pages, pageStorePath, consumer);
  protectVmas(task, plan.vmas, receivesPages);
  installFds(task, plan.fdsFromFerry, opened);
  watchEventPollTargets(task, plan.epolls, plan.fds);
  restoreProcAttrs(task, plan.attrs, log);
  restoreSigactions(task, plan.signals);
  createThreads(task, plan.cores);
}

function imageRanges(plan: RestorePlan) {
  return plan.live.flatMap((t) => t.vmas);
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
 * Restores a local checkpoint: every record is read and checked first; then the tree is built
 * stage by stage, every task stopped until the last stage. If anything fails, every task and
 * helper made so far is killed and nothing is left behind.
 */
export async function restore(opts: RestoreOptions, stages: StageBarrier = new LocalStages(opts.log ?? silentLog)): Promise<Restored> {
  const log = opts.log ?? silentLog;
  const image = await loadLocalImage(opts.dir, { deferPageCheck: true });
  const plan = planRestore(image);
  const inherited = matchInheritFds(image, opts.inheritFds ?? []);
  for (const t of plan.tasks) await ensurePidFree(t.task.pid);
  const pageCheck = checkPagesInBackground(image);
  const pagesChecked = pageCheck.done;
  pagesChecked.catch(() => {}); // awaited below; a rejection before that is not unhandled
  const consumer = opts.consumePages ? new PageConsumer(plan.pageStorePath, pageCheck.checkedUpTo) : undefined;
  let stub: Stub | null = null;
  const opened = new Map<string, number>();
  const made = new Map<number, RestoringTask>();
  const helpers: number[] = [];
  let previousForeground: number | null = null;
  const ttyFiles = new Map(image.byKind('ttyfile').map((f) => [f.id, f]));
  const leaders = new Map<number, RestoringTask>();
  const scheduledHelpers = new Set<number>();
  const live = () => plan.live.map((p) => ({ plan: p, task: made.get(p.task.pid)! }));
  // Leaders last: a leader's part ends the task's work in stages where its threads need the scratch page.
  const threadsOf = (p: LiveTaskPlan, work: (task: RestoringTask, core: Core) => void): Participant[] =>
    [...p.cores].reverse().map((core) => ({ name: `thread ${core.tid}`, work: () => work(made.get(p.task.pid)!, core) }));
  // Tasks we kill on failure die as zombies of their restored parents; as subreaper we get them
  // when those parents die too, and reap them, so a failed restore leaves no trace.
  setChildSubreaper(true);
  try {
    await stages.run('RESTORE_NS', []);
    await stages.run('RESTORE_SHARED', [
      { name: 'stub', work: () => { stub = Stub.start(imageRanges(plan)); } },
      ...FILE_KINDS.map((kind) => ({ name: `${kind.name} files`, work: () => kind.open({ image, log, stub: stub!, helpers, inherited, shellJob: !!opts.shellJob }, opened) })),
    ]);
    await stages.run('FORKING', plan.tasks.flatMap((t) => {
      // A member of a session or group whose leader died gets its stand-in first.
      const helper = plan.leaderHelpers.find((h) => h.pid === t.task.sid || h.pid === t.task.pgid);
      const helperFirst = helper && !scheduledHelpers.has(helper.pid) ? [helper] : [];
      helperFirst.forEach((h) => scheduledHelpers.add(h.pid));
      return [
        ...helperFirst.map((h) => ({
          name: `helper ${h.pid}`,
          work: () => { leaders.set(h.pid, makeLeaderHelper(made.get(h.parent)!, h)); },
        })),
        {
          name: `${t.zombie ? 'zombie' : 'task'} ${t.task.pid}`,
          work: () => {
            const parent = made.get(t.task.ppid);
            if (t.zombie) return makeZombie(parent!, t.task);
            const sessionHelper = plan.leaderHelpers.find((h) => h.forks.has(t.task.pid));
            const pid = t === plan.root ? stub!.fork(t.task.pid)
              : sessionHelper ? cloneWithPid(leaders.get(sessionHelper.pid)!.injector, t.task.pid, 'sibling')
              : cloneWithPid(parent!.injector, t.task.pid, 'child');
            const task = new RestoringTask(pid, stub!.scratch);
            made.set(pid, task);
            leadSessionOrGroup(task, t.task);
          },
        },
      ];
    }));
    const shared: SharedMemory = new Map();
    const inTree = (pid: number) => made.has(pid) || leaders.has(pid);
    await stages.run('RESTORE', plan.live.flatMap((p) => [
      {
        name: `task ${p.task.pid}`,
        work: () => {
          const task = made.get(p.task.pid)!;
          joinGroup(task, p.task, inTree);
          rebuildTask(task, p, plan.pageStorePath, consumer, opened, shared, log);
        },
      },
      ...threadsOf(p, (task, core) => restoreThreadState(task.thread(core.tid), core)),
    ]));
    await stages.run('RESTORE_SIGCHLD', [
      // Terminals first: TIOCSPGRP needs every group in place, /dev/tty needs the terminal.
      ...image.byKind('tty').filter((t) => t.sid !== 0 && made.has(t.sid)).map((t) => ({
        name: `terminal ${t.index}`,
        work: () => takeControllingTerminal(made.get(t.sid)!, t),
      })),
      ...plan.live.filter((p) => p.devTtyFds.length > 0).map((p) => ({
        name: `/dev/tty of task ${p.task.pid}`,
        work: () => reopenDevTty(made.get(p.task.pid)!, p.devTtyFds, ttyFiles),
      })),
      ...plan.leaderHelpers.map((h) => ({
        name: `helper ${h.pid}`,
        work: () => {
          dismissLeaderHelper(leaders.get(h.pid)!, made.get(h.parent)!);
          leaders.delete(h.pid);
        },
      })),
      ...plan.live.flatMap((p) => threadsOf(p, (task, core) => {
        ptrace.setSigmask(core.tid, ALL_SIGNALS);
        if (core.tid === p.task.pid) {
          dropChildSignals(task);
          queueSignals(task, p.task.pid, p.signals.sharedPending, true);
          for (const c of p.cores) queueSignals(task, c.tid, c.pending, false);
        }
      })),
    ]);
    await stages.run('RESTORE_CREDS', [
      ...plan.live.flatMap((p) => threadsOf(p, (task, core) => {
        restoreCreds(p.task.pid, task.thread(core.tid), p.creds);
        if (core.tid === p.task.pid) finishTask(task, p.cores);
      })),
      // Nothing runs before every page has been checked against its digest.
      { name: 'page digests', work: () => pagesChecked.then(() => consumer?.checked()) },
    ]);
    await stages.run('COMPLETE', [
      // A migration's target asks, last thing before anything runs, whether it still takes over.
      ...(opts.beforeRelease ? [{ name: 'take-over decision', work: () => opts.beforeRelease!() }] : []),
      // Before anything runs: a shell job reading its terminal from the background would stop.
      ...(opts.foreground ? [{ name: 'terminal foreground', work: () => { previousForeground = handTerminalTo(0, plan.root.task.pgid); } }] : []),
      ...plan.live.flatMap((p) => threadsOf(p, (task, core) => {
        ptrace.detach(core.tid);
        if (core.tid === p.task.pid) task.close();
      })),
      { name: 'helpers', work: () => { for (const pid of helpers) killAndReap(pid); stub!.kill(); } },
    ]);
  } catch (e) {
    await pagesChecked.catch(() => {});
    const cleanup = [...[...made.values(), ...leaders.values()].reverse().map((task) => () => removeTask(task)), ...helpers.map((pid) => () => killAndReap(pid)), () => (stub as Stub | null)?.kill()];
    for (const step of cleanup) {
      try {
        step();
      } catch (cleanupError) {
        log.debug(`cleanup after a failed restore: ${(cleanupError as Error).message}`);
      }
    }
    await reapOrphans([...plan.tasks.map((t) => t.task.pid), ...helpers, ...plan.leaderHelpers.map((h) => h.pid)]);
    throw e;
  } finally {
    setChildSubreaper(false);
    closeFiles(opened);
    if (consumer) {
      log.debug(`freed ${consumer.freedBytes} of ${plan.pageStorePath}'s ${image.commit.pageBytes} bytes as the pages went in`);
      consumer.close();
    }
  }
  const pid = plan.root.task.pid;
  if (opts.pidfile) fs.writeFileSync(opts.pidfile, `${pid}\n`);
  log.info(`restored ${plan.tasks.length} processes from pid ${pid}`);
  const pageBytes = plan.live.reduce((n, t) => n + t.pages.reduce((m, p) => m + p.npages * 4096, 0), 0);
  return { pid, pageBytes, stageMs: Object.fromEntries([...stages.reports].map(([stage, r]) => [stage, r.ms])), wait: () => waitForAsync(pid, 0), previousForeground };
}
