import fs from 'node:fs';
import { loadLocalImage } from '@ferry/proto';
import { ptrace, waitForAsync, type WaitResult } from '@ferry/sys';
import { ensurePidFree } from './pid-check.js';
import { planRestore, type RestorePlan, type TaskPlan } from './plan.js';
import { Stub, killAndReap } from './stub.js';
import { RestoringTask } from './restoring-task.js';
import { LocalStages, type StageBarrier } from './stages.js';
import { prepareAddressSpace, mapVmas, protectVmas } from './objects/vma.js';
import { fillPages } from './objects/pages.js';
import { restoreMm } from './objects/mm.js';
import { closeFiles } from './objects/regfile.js';
import { FILE_KINDS } from './objects/file-kinds.js';
import { closeInheritedFds, installFds } from './objects/fd.js';
import { restoreProcAttrs } from './objects/procattrs.js';
import { restoreSigactions, queueSignals } from './objects/signals.js';
import { restoreSessionAndGroup } from './objects/pstree.js';
import { dropInheritedRseq, restoreThreadState, finishTask } from './objects/core.js';
import { silentLog, type Log } from './log.js';
import { checkPagesInBackground } from './page-check.js';

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

function rebuildTask(task: RestoringTask, plan: TaskPlan, pageStorePath: string, opened: Map<string, number>, log: Log): void {
  const withPages = new Set(plan.pages.map((p) => p.vaddr));
  const vmaStarts = plan.vmas.map((v) => v.start);
  const receiving = new Set<bigint>();
  for (const a of withPages) {
    // The mapping holding the page run (plan checked that there is one).
    let lo = 0, hi = vmaStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (vmaStarts[mid]! <= a) lo = mid; else hi = mid - 1;
    }
    receiving.add(vmaStarts[lo]!);
  }
  const receivesPages = (v: { start: bigint }) => receiving.has(v.start);
  dropInheritedRseq(task);
  closeInheritedFds(task);
  prepareAddressSpace(task, plan.vmas);
  restoreMm(task, plan.mm);
  mapVmas(task, plan.vmas, receivesPages);
  fillPages(task, plan.pages, pageStorePath);
  protectVmas(task, plan.vmas, receivesPages);
  installFds(task, plan.fds, opened);
  restoreProcAttrs(task, plan.attrs, log);
  restoreSigactions(task, plan.signals);
  restoreSessionAndGroup(task, plan.task);
  restoreThreadState(task, plan.core);
  ptrace.setSigmask(task.pid, ALL_SIGNALS);
  queueSignals(task, plan.task.pid, plan.signals.sharedPending, true);
  queueSignals(task, plan.core.tid, plan.core.pending, false);
}

function imageRanges(plan: RestorePlan) {
  return plan.tasks.flatMap((t) => t.vmas);
}

/**
 * Restores a local checkpoint: the whole image is read and checked first; then the tree is built
 * stage by stage. If anything fails, every task made so far is killed and nothing is left behind.
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
  const made: RestoringTask[] = [];
  const helpers: number[] = [];
  try {
    await stages.run('RESTORE_NS', () => {});
    await stages.run('RESTORE_SHARED', () => {
      stub = Stub.start(imageRanges(plan));
      const ctx = { image, log, stub, helpers };
      for (const kind of FILE_KINDS) kind.open(ctx, opened);
    });
    await stages.run('FORKING', () => {
      for (const t of plan.tasks) made.push(new RestoringTask(stub!.fork(t.task.pid), stub!));
    });
    await stages.run('RESTORE', () => {
      made.forEach((task, i) => rebuildTask(task, plan.tasks[i]!, plan.pageStorePath, opened, log));
    });
    await stages.run('RESTORE_SIGCHLD', () => {});
    await stages.run('RESTORE_CREDS', () => {
      made.forEach((task, i) => finishTask(task, plan.tasks[i]!.core));
    });
    await pagesChecked;
    await stages.run('COMPLETE', () => {
      for (const task of made) {
        ptrace.detach(task.pid);
        task.close();
      }
      for (const pid of helpers) killAndReap(pid);
      (stub as Stub | null)?.kill();
    });
  } catch (e) {
    await pagesChecked.catch(() => {});
    for (const task of made) {
      task.close();
      killAndReap(task.pid);
    }
    for (const pid of helpers) killAndReap(pid);
    (stub as Stub | null)?.kill();
    throw e;
  } finally {
    closeFiles(opened);
  }
  const pid = plan.root.task.pid;
  if (opts.pidfile) fs.writeFileSync(opts.pidfile, `${pid}\n`);
  log.info(`restored pid ${pid}`);
  const pageBytes = plan.tasks.reduce((n, t) => n + t.pages.reduce((m, p) => m + p.npages * 4096, 0), 0);
  return { pid, pageBytes, stageMs: Object.fromEntries(stages.timings), wait: () => waitForAsync(pid, 0) };
}
