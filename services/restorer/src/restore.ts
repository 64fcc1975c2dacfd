import fs from 'node:fs';
import { loadLocalImage } from '@ferry/proto';
import { ptrace, waitForAsync, type WaitResult } from '@ferry/sys';
import { planRestore, type LiveTaskPlan, type RestorePlan } from './plan.js';
import { Stub, killAndReap } from './stub.js';
import { RestoringTask } from './restoring-task.js';
import { cloneWithPid } from './fork.js';
import { LocalStages, type StageBarrier } from './stages.js';
import { prepareAddressSpace, mapVmas, protectVmas, type SharedMemory } from './objects/vma.js';
import { fillPages } from './objects/pages.js';
import { restoreMm } from './objects/mm.js';
import { closeFiles } from './objects/regfile.js';
import { FILE_KINDS } from './objects/file-kinds.js';
import { closeInheritedFds, installFds } from './objects/fd.js';
import { restoreProcAttrs } from './objects/procattrs.js';
import { restoreSigactions, queueSignals, dropChildSignals } from './objects/signals.js';
import { leadSessionOrGroup, joinGroup, makeZombie } from './objects/pstree.js';
import { restoreCreds } from './objects/creds.js';
import { dropInheritedRseq, createThreads, restoreThreadState, finishTask } from './objects/core.js';
import { ensurePidFree } from './pid-check.js';
import { checkPagesInBackground } from './page-check.js';
import { silentLog, type Log } from './log.js';

const ALL_SIGNALS = 0xffffffffffffffffn;

export interface RestoreOptions {
  dir: string;
  log?: Log;
  pidfile?: string;
}

export interface Restored {
  pid: number;
  pageBytes: number;
  stageMs: Record<string, number>;
  /** Resolves when the restored root ends (it is ferry's child). */
  wait(): Promise<WaitResult>;
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

function rebuildTask(task: RestoringTask, plan: LiveTaskPlan, pageStorePath: string, opened: Map<string, number>, shared: SharedMemory, log: Log): void {
  const receiving = mappingsWithPages(plan);
  const receivesPages = (v: { start: bigint }) => receiving.has(v.start);
  dropInheritedRseq(task);
  closeInheritedFds(task);
  prepareAddressSpace(task, plan.vmas);
  restoreMm(task, plan.mm);
  mapVmas(task, plan.vmas, receivesPages, shared);
  fillPages(task, plan.pages, pageStorePath);
  protectVmas(task, plan.vmas, receivesPages);
  installFds(task, plan.fds, opened);
  restoreProcAttrs(task, plan.attrs, log);
  restoreSigactions(task, plan.signals);
  createThreads(task, plan.cores);
  plan.cores.forEach((core) => restoreThreadState(task.thread(core.tid), core));
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

/**
 * Restores a local checkpoint: every record is read and checked first; then the tree is built
 * stage by stage, every task stopped until the last stage. If anything fails, every task and
 * helper made so far is killed and nothing is left behind.
 */
export async function restore(opts: RestoreOptions, stages: StageBarrier = new LocalStages(opts.log ?? silentLog)): Promise<Restored> {
  const log = opts.log ?? silentLog;
  const image = await loadLocalImage(opts.dir, { deferPageCheck: true });
  const plan = planRestore(image);
  for (const t of plan.tasks) await ensurePidFree(t.task.pid);
  const pagesChecked = checkPagesInBackground(image);
  pagesChecked.catch(() => {}); // awaited below; a rejection before that is not unhandled
  let stub: Stub | null = null;
  const opened = new Map<string, number>();
  const made = new Map<number, RestoringTask>();
  const helpers: number[] = [];
  const live = () => plan.live.map((p) => ({ plan: p, task: made.get(p.task.pid)! }));
  try {
    await stages.run('RESTORE_NS', () => {});
    await stages.run('RESTORE_SHARED', () => {
      stub = Stub.start(imageRanges(plan));
      const ctx = { image, log, stub, helpers };
      for (const kind of FILE_KINDS) kind.open(ctx, opened);
    });
    await stages.run('FORKING', () => {
      const s = stub!;
      for (const t of plan.tasks) {
        const parent = made.get(t.task.ppid);
        if (t.zombie) {
          makeZombie(parent!, t.task);
          continue;
        }
        const pid = t === plan.root ? s.fork(t.task.pid) : cloneWithPid(parent!.injector, t.task.pid, 'child');
        const task = new RestoringTask(pid, s.scratch);
        made.set(pid, task);
        leadSessionOrGroup(task, t.task);
      }
      const inTree = (pid: number) => made.has(pid);
      for (const { plan: p, task } of live()) joinGroup(task, p.task, inTree);
    });
    await stages.run('RESTORE', () => {
      const shared: SharedMemory = new Map();
      for (const { plan: p, task } of live()) rebuildTask(task, p, plan.pageStorePath, opened, shared, log);
    });
    await stages.run('RESTORE_SIGCHLD', () => {
      for (const { plan: p, task } of live()) {
        for (const th of task.threads) ptrace.setSigmask(th.tid, ALL_SIGNALS);
        dropChildSignals(task);
        queueSignals(task, p.task.pid, p.signals.sharedPending, true);
        for (const core of p.cores) queueSignals(task, core.tid, core.pending, false);
      }
    });
    await stages.run('RESTORE_CREDS', async () => {
      for (const { plan: p, task } of live()) {
        for (const th of task.threads) restoreCreds(p.task.pid, th, p.creds);
        finishTask(task, p.cores);
      }
      // Nothing runs before every page has been checked against its digest.
      await pagesChecked;
    });
    await stages.run('COMPLETE', () => {
      for (const { task } of live()) {
        for (const th of task.threads) ptrace.detach(th.tid);
        task.close();
      }
      for (const pid of helpers) killAndReap(pid);
      stub!.kill();
    });
  } catch (e) {
    await pagesChecked.catch(() => {});
    for (const task of [...made.values()].reverse()) removeTask(task);
    for (const pid of helpers) killAndReap(pid);
    (stub as Stub | null)?.kill();
    throw e;
  } finally {
    closeFiles(opened);
  }
  const pid = plan.root.task.pid;
  if (opts.pidfile) fs.writeFileSync(opts.pidfile, `${pid}\n`);
  log.info(`restored ${plan.tasks.length} processes from pid ${pid}`);
  const pageBytes = plan.live.reduce((n, t) => n + t.pages.reduce((m, p) => m + p.npages * 4096, 0), 0);
  return { pid, pageBytes, stageMs: Object.fromEntries(stages.timings), wait: () => waitForAsync(pid, 0) };
}
