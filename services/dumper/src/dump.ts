import os from 'node:os';
import { openLocalSink, KIND_NAMES, encodePayload, defaultPayload, type LocalInventory, type RecordSink } from '@ferry/proto';
import { processExists, readStat, readSmaps } from '@ferry/sys';
import type { FrozenTask } from './frozen-task.js';
import { freezeTree, releaseTree, killTree, dieWithHolder, runningTree, pidsOf, type FrozenTree } from './tree.js';
import { describeTask, describeZombie } from './objects/pstree.js';
import { collectFds } from './objects/fd.js';
import { collectTtys, type DumpedTtys } from './objects/tty.js';
import { putFile, describeContext, type DescribeContext } from './objects/file-kinds.js';
import { externalNames } from './objects/external.js';
import { collectCore } from './objects/core.js';
import { collectSignals } from './objects/signals.js';
import { collectProcAttrs } from './objects/procattrs.js';
import { collectCreds } from './objects/creds.js';
import { collectMm } from './objects/mm.js';
import { describeVmas } from './objects/vma.js';
import { dumpPages } from './objects/pages.js';
import { silentLog, type Log } from './log.js';
import { residentBytes } from './resident-bytes.js';
import { refuseUnsupportedState } from './unsupported.js';

export const FERRY_VERSION = '0.1.0';

export interface DumpOptions {
  pid: number;
  /** The local image directory; ignored when openSink is given. */
  dir?: string;
  /** Where the records go instead of a local directory (the image server, in distributed mode). */
  /** EXPECTED_PAGE_BYTES: the tree's resident size, which the sink may make room for before the freeze. */
  openSink?: (inventory: LocalInventory, expectedPageBytes: number) => Promise<RecordSink>;
  leaveRunning?: boolean;
  /**
   * Holds the committed tree frozen until this resolves: 'kill' once the copy runs elsewhere,
   * 'resume' if it does not; a rejection resumes it too, and the dump then fails saying so.
   * While held, the tree dies with the dumping process (PTRACE_O_EXITKILL).
   */
  holdUntil?: (checkpointId: string) => Promise<'kill' | 'resume'>;
  /** The tree is a job of a shell outside it: its terminal is recorded as external (-j). */
  shellJob?: boolean;
  /** Objects (pipe:[INODE], a path, PID:FD) the restore will be handed with --inherit-fd. */
  external?: string[];
  log?: Log;
  /** For tests of the failure path: everything is read and taken, then the dump fails before its commit. */
  failBeforeCommit?: boolean;
}

export interface DumpSummary {
  checkpointId: string;
  pid: number;
  tasks: number;
  frozenMs: number;
  pageBytes: bigint;
  /** Time spent copying pages out (every task's), frozen: pageBytes over it is the page throughput. */
  pagesMs: number;
  records: bigint;
  /** What became of the tree after the commit. */
  fate: 'kill' | 'resume';
}

/** What the whole dump shares across tasks. */
interface DumpState {
  sink: RecordSink;
  log: Log;
  files: DescribeContext;
  shmDumped: Set<bigint>;
  pagesMs: number;
}

function checkDumpable(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  if (pid === process.pid) throw new Error('ferry cannot dump itself');
  if (!processExists(pid)) throw new Error(`no process with pid ${pid}`);
  if (readStat(pid).state === 'Z') throw new Error(`pid ${pid} is a zombie`);
  refuseUnsupportedState(pid);
}

async function writeTask(task: FrozenTask, state: DumpState): Promise<bigint> {
  const { sink, log } = state;
  const pid = task.pid;
  let t = performance.now();
  const step = (what: string) => {
    const now = performance.now();
    log.debug(`pid ${pid}: ${what} in ${(now - t).toFixed(2)} ms`);
    t = now;
  };
  refuseUnsupportedState(pid);
  await sink.put('procattrs', `procattrs:${pid}`, collectProcAttrs(pid));
  await sink.put('creds', `creds:${pid}`, collectCreds(pid));
  const files = collectFds(pid, state.files);
  for (const file of files.files) await putFile(sink, file);
  for (const fd of files.fds) await sink.put('fd', `fd:${pid}:${fd.fd}`, fd);
  step('attributes and files');
  await sink.put('signals', `signals:${pid}`, collectSignals(task));
  for (const thread of task.threads) await sink.put('core', `core:${thread.tid}`, collectCore(task, thread));
  await sink.put('mm', `mm:${pid}`, collectMm(task));
  step(`signals, ${task.threads.length} threads and mm`);
  const vmas = describeVmas(pid, readSmaps(pid));
  for (const vma of vmas) await sink.put('vma', `vma:${pid}:${vma.start.toString(16)}`, vma);
  step('mappings');
  const pagesStarted = performance.now();
  const bytes = await dumpPages(pid, vmas, task.mem, sink, state.shmDumped);
  state.pagesMs += performance.now() - pagesStarted;
  step(`${bytes} bytes of pages`);
  return bytes;
}

async function writeTree(tree: FrozenTree, state: DumpState): Promise<bigint> {
  for (const task of tree.tasks) await state.sink.put('pstree', `task:${task.pid}`, describeTask(task));
  for (const pid of tree.zombies) await state.sink.put('pstree', `task:${pid}`, describeZombie(pid));
  let bytes = 0n;
  for (const task of tree.tasks) bytes += await writeTask(task, state);
  return bytes;
}

/**
 * Checkpoints a process and all its descendants into a local image directory (or the sink given). Whatever fails,
 * the processes are left running as they were and no partial image remains.
 */
export async function dump(opts: DumpOptions): Promise<DumpSummary> {
  const log = opts.log ?? silentLog;
  const { pid } = opts;
  checkDumpable(pid);
  const running = runningTree(pid);
  const external = externalNames(opts.external ?? [], running);
  collectFds(pid, describeContext(running, external, false)); // refuse unsupported descriptors of the root before anything is stopped
  // Everything that does not need the processes stopped happens before they are.
  const openSink = opts.openSink ?? ((inventory: LocalInventory, expectedPageBytes: number) => {
    if (opts.dir === undefined) throw new Error('no image directory given');
    return openLocalSink(opts.dir, inventory, { expectedPageBytes });
  });
  const sink: RecordSink = await openSink({
    formatVersion: 1,
    host: os.hostname(),
    kernel: os.release(),
    rootPid: pid,
    createdMs: BigInt(Date.now()),
    ferryVersion: FERRY_VERSION,
    pageSize: 4096,
    arch: process.arch === 'x64' ? 'x86_64' : process.arch,
  }, residentBytes(running));
  // The codecs compile on first use: let that happen while the processes still run.
  for (const kind of KIND_NAMES) encodePayload(kind, defaultPayload(kind));
  const started = performance.now();
  let tree: FrozenTree;
  try {
    tree = freezeTree(pid);
  } catch (e) {
    await sink.abort();
    throw e;
  }
  let ttys: DumpedTtys | null = null;
  let summary!: DumpSummary;
  let notTakenOver: unknown = null;
  try {
    const files = describeContext(pidsOf(tree), external);
    const state: DumpState = { sink, log, files, shmDumped: new Set(), pagesMs: 0 };
    const pageBytes = await writeTree(tree, state);
    ttys = collectTtys(files.seen, !!opts.shellJob);
    for (const tty of ttys.records) await sink.put('tty', `tty:${tty.index}`, tty);
    if (opts.failBeforeCommit) throw new Error('dump failed before its commit (FERRY_FAIL_DUMP)');
    const commit = await sink.commit();
    // Live migration: the tree stays frozen until the target says whether it took over.
    if (opts.holdUntil) dieWithHolder(tree);
    const fate = opts.holdUntil ? await opts.holdUntil(sink.checkpointId).catch((e: unknown) => {
      notTakenOver = e;
      return 'resume' as const;
    }) : opts.leaveRunning ? 'resume' : 'kill';
    if (fate === 'resume') {
      ttys.putBack();
      releaseTree(tree);
    } else {
      killTree(tree);
    }
    ttys.close();
    const frozenMs = performance.now() - started;
    log.info(`dumped ${tree.tasks.length} processes from pid ${pid} in ${frozenMs.toFixed(1)} ms (${pageBytes} bytes of pages)`);
    summary = { checkpointId: sink.checkpointId, pid, tasks: tree.tasks.length + tree.zombies.length, frozenMs, pageBytes, pagesMs: state.pagesMs, records: commit.recordCount + 1n, fate };
  } catch (e) {
    // The terminals get their queued bytes back before their programs run on.
    try {
      ttys?.putBack();
    } finally {
      ttys?.close();
      releaseTree(tree);
    }
    await sink.abort().catch(() => {});
    throw e;
  }
  if (notTakenOver !== null) {
    const why = notTakenOver instanceof Error ? notTakenOver.message : String(notTakenOver);
    throw new Error(`checkpoint ${summary.checkpointId} was not taken over (${why}): pid ${pid} runs on here`);
  }
  return summary;
}
