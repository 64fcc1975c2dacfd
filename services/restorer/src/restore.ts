import fs from 'node:fs';
import { loadLocalImage, type Image } from '@ferry/proto';
import { waitForAsync, setChildSubreaper, type WaitResult } from '@ferry/sys';
import { planRestore } from './plan.js';
import { Restoration } from './restoration.js';
import { LocalStages, type StageBarrier } from './stages.js';
import { ensurePidFree } from './pid-check.js';
import { matchInheritFds, type InheritFd } from './inherit-fd.js';
import { silentLog, type Log } from './log.js';

/** How to restore an image already loaded and verified (restoreImage). */
export interface RestoreImageOptions {
  log?: Log;
  pidfile?: string;
  /** Descriptors of this process that take the place of files of the checkpoint (--inherit-fd). */
  inheritFds?: InheritFd[];
  /** The tree was dumped as a shell job (-j): its terminal is the one ferry runs in. */
  shellJob?: boolean;
  /** Established TCP connections of the image are brought back (--tcp-established), else refused. */
  tcpEstablished?: boolean;
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

export interface RestoreOptions extends RestoreImageOptions {
  /** A local image directory. */
  dir: string;
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

/** Restores the local checkpoint in opts.dir: read and verified (but for the page digests, see restoreImage), then restored. */
export async function restore(opts: RestoreOptions, stages: StageBarrier = new LocalStages(opts.log ?? silentLog)): Promise<Restored> {
  const image = await loadLocalImage(opts.dir, { deferPageCheck: true });
  return restoreImage(image, opts, stages);
}

/**
 * Restores a loaded image (the records verified; the page digests are checked here, on another
 * thread, before anything runs): every record is cross-checked first; then the tree is built
 * stage by stage, every task stopped until the last stage. If anything fails, every task and
 * helper made so far is killed and nothing is left behind. The tasks read their pages from the
 * image's page store themselves, so the source is an Image, a record source with a page store.
 */
export async function restoreImage(image: Image, opts: RestoreImageOptions, stages: StageBarrier = new LocalStages(opts.log ?? silentLog)): Promise<Restored> {
  const log = opts.log ?? silentLog;
  const plan = planRestore(image);
  const inherited = matchInheritFds(image, opts.inheritFds ?? []);
  for (const t of plan.tasks) await ensurePidFree(t.task.pid);
  const restoration = new Restoration(image, plan, {
    log, inherited, shellJob: !!opts.shellJob, tcpEstablished: !!opts.tcpEstablished, foreground: !!opts.foreground, beforeRelease: opts.beforeRelease, consumePages: !!opts.consumePages,
  });
  // Tasks we kill on failure die as zombies of their restored parents; as subreaper we get them
  // when those parents die too, and reap them, so a failed restore leaves no trace.
  setChildSubreaper(true);
  try {
    await stages.run('RESTORE_NS', restoration.namespaces());
    await stages.run('RESTORE_SHARED', restoration.sharedObjects());
    await stages.run('FORKING', restoration.forking());
    await stages.run('RESTORE', restoration.tasks());
    await stages.run('RESTORE_SIGCHLD', restoration.sigchld());
    await stages.run('RESTORE_CREDS', restoration.creds());
    await stages.run('COMPLETE', restoration.release());
  } catch (e) {
    await restoration.cleanup();
    throw e;
  } finally {
    setChildSubreaper(false);
    restoration.close();
  }
  const pid = plan.root.task.pid;
  if (opts.pidfile) fs.writeFileSync(opts.pidfile, `${pid}\n`);
  log.info(`restored ${plan.tasks.length} processes from pid ${pid}`);
  return {
    pid,
    pageBytes: restoration.pageBytes,
    stageMs: Object.fromEntries([...stages.reports].map(([stage, r]) => [stage, r.ms])),
    wait: () => waitForAsync(pid, 0),
    previousForeground: restoration.previousForeground,
  };
}
