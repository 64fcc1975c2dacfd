import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { PARENT_LINK, openLocalSink, GHOST_LIMIT_DEFAULT, KIND_NAMES, encodePayload, defaultPayload, type LocalInventory, type RecordSink } from '@ferry/proto';
import { processExists, readStat } from '@ferry/sys';
import type { FrozenTask } from './frozen-task.js';
import { freezeTree, releaseTree, killTree, dieWithHolder, runningTree, pidsOf, type FrozenTree } from './tree.js';
import type { DumpContext, Fate, Holding, TreeCollector } from './collector.js';
import { taskCollectors, treeCollectorsAfterTasks, treeCollectorsBeforeTasks } from './kinds.js';
import { checkOpenFiles, openFilesOf } from './open-files.js';
import { silentLog, type Log } from './log.js';
import { residentBytes } from './resident-bytes.js';
import { refuseUnsupportedState } from './unsupported.js';
import { armTracking, endTracking, linkParent, takeTracking, type Incremental } from './incremental.js';

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
  /** The most bytes of a ghost file (unlinked, still open) the checkpoint keeps; GHOST_LIMIT_DEFAULT unless given. */
  ghostLimit?: number;
  /** --ext-unix-sk: datagram sockets connected outside the tree reconnect to their peer's address at restore. */
  extUnixSk?: boolean;
  /** Established TCP connections are carried, in repair mode under a network lock (else refused). */
  tcpEstablished?: boolean;
  /** Locks the tree holds on its files are recorded and taken again at restore (--file-locks); without it they fail the dump. */
  fileLocks?: boolean;
  /**
   * pre-dump: the tree's memory is copied (frozen, as a whole dump copies it) and the tree runs on
   * with its writes tracked, for a later dump with prevImagesDir. Local images only.
   */
  preDump?: boolean;
  /** dump --prev-images-dir --track-mem: the pre-dump (as given, relative to dir) whose unwritten pages this dump refers to. */
  prevImagesDir?: string;
  /** System V semaphore sets and message queues the tree used last are carried (--sysv-ipc); without it they fail the dump. */
  sysvIpc?: boolean;
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

function checkDumpable(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  if (pid === process.pid) throw new Error('ferry cannot dump itself');
  if (!processExists(pid)) throw new Error(`no process with pid ${pid}`);
  if (readStat(pid).state === 'Z') throw new Error(`pid ${pid} is a zombie`);
  refuseUnsupportedState(pid);
}

function logStep(log: Log, what: string, started: number): void {
  log.debug(`${what} in ${(performance.now() - started).toFixed(2)} ms`);
}

async function writeTask(task: FrozenTask, dump: DumpContext, sink: RecordSink, log: Log): Promise<void> {
  refuseUnsupportedState(task.pid);
  for (const collector of taskCollectors) {
    const started = performance.now();
    const wrote = await collector.collect(task, dump, sink);
    logStep(log, `pid ${task.pid}: ${wrote || collector.name}`, started);
  }
}

/** Runs COLLECTORS over the whole tree; what they still hold of it joins HELD. */
async function writeWholeTree(collectors: readonly TreeCollector[], dump: DumpContext, sink: RecordSink, log: Log, held: Holding[]): Promise<void> {
  for (const collector of collectors) {
    const started = performance.now();
    const holding = await collector.collect(dump, sink);
    if (holding) held.push(holding);
    logStep(log, collector.name, started);
  }
}

async function writeTree(dump: DumpContext, sink: RecordSink, log: Log, held: Holding[]): Promise<void> {
  await writeWholeTree(treeCollectorsBeforeTasks, dump, sink, log, held);
  for (const task of dump.tree.tasks) await writeTask(task, dump, sink, log);
  await writeWholeTree(treeCollectorsAfterTasks, dump, sink, log, held);
}

/** Before the tree resumes or dies: what a resumed tree gets back must be there when its programs run on. */
function releaseAll(held: Holding[], fate: Fate): void {
  for (const holding of held.splice(0)) holding.release(fate);
}

/** Every holding is undone, even after one failed to be; the first failure is thrown then. */
function undoAll(held: Holding[]): void {
  const failures: unknown[] = [];
  for (const holding of held.splice(0).reverse()) {
    try {
      holding.undo();
    } catch (e) {
      failures.push(e);
    }
  }
  if (failures.length) throw failures[0];
}

/**
 * Checkpoints a process and all its descendants into a local image directory (or the sink given). Whatever fails,
 * the processes are left running as they were and no partial image remains.
 */
export async function dump(opts: DumpOptions): Promise<DumpSummary> {
  const { pid } = opts;
  checkDumpable(pid);
  if ((opts.preDump || opts.prevImagesDir !== undefined) && opts.dir === undefined) throw new Error('pre-dump and --prev-images-dir need a local image directory (-D)');
  if (opts.preDump && opts.prevImagesDir !== undefined) throw new Error('a pre-dump on top of a pre-dump is not supported yet');
  const prevDir = opts.prevImagesDir === undefined ? undefined : path.resolve(opts.dir!, opts.prevImagesDir);
  if (prevDir !== undefined && prevDir === path.resolve(opts.dir!)) throw new Error('--prev-images-dir names the image directory itself');
  const incremental = prevDir === undefined ? undefined : await takeTracking(pid, prevDir);
  try {
    return await dumpTracked(opts, incremental);
  } catch (e) {
    // The directory was fresh (the sink refuses one that holds a checkpoint): the link is ours.
    if (incremental) fs.rmSync(path.join(opts.dir!, PARENT_LINK), { force: true });
    throw e;
  } finally {
    // Whatever became of the dump, the tree runs on untracked.
    if (incremental) endTracking(incremental);
  }
}

async function dumpTracked(opts: DumpOptions, incremental: Incremental | undefined): Promise<DumpSummary> {
  const log = opts.log ?? silentLog;
  const { pid } = opts;
  const running = runningTree(pid);
  const fileOptions = { ghostLimit: opts.ghostLimit ?? GHOST_LIMIT_DEFAULT, extUnixSk: !!opts.extUnixSk, tcpEstablished: !!opts.tcpEstablished };
  const external = checkOpenFiles(pid, running, opts.external ?? [], { ...fileOptions, lockName: '', held: [] });
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
    parentCheckpointId: incremental?.parent.checkpointId ?? '',
  }, residentBytes(running));
  if (incremental) linkParent(opts.dir!, incremental.parentDir, opts.prevImagesDir!);
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
  const held: Holding[] = [];
  let summary!: DumpSummary;
  let notTakenOver: unknown = null;
  try {
    const context: DumpContext = { tree, files: openFilesOf(pidsOf(tree), external, { ...fileOptions, lockName: sink.checkpointId, held }), shellJob: !!opts.shellJob, fileLocks: !!opts.fileLocks, sysvIpc: !!opts.sysvIpc, pages: { bytes: 0n, ms: 0 }, incremental };
    await writeTree(context, sink, log, held);
    if (opts.preDump) held.push(armTracking(tree, opts.dir!));
    if (opts.failBeforeCommit) throw new Error('dump failed before its commit (FERRY_FAIL_DUMP)');
    const commit = await sink.commit();
    // Live migration: the tree stays frozen until the target says whether it took over.
    if (opts.holdUntil) dieWithHolder(tree);
    const fate = opts.holdUntil ? await opts.holdUntil(sink.checkpointId).catch((e: unknown) => {
      notTakenOver = e;
      return 'resume' as const;
    }) : opts.leaveRunning || opts.preDump ? 'resume' : 'kill';
    releaseAll(held, fate);
    if (fate === 'resume') releaseTree(tree);
    else killTree(tree);
    const frozenMs = performance.now() - started;
    const pageBytes = context.pages.bytes;
    log.info(`dumped ${tree.tasks.length} processes from pid ${pid} in ${frozenMs.toFixed(1)} ms (${pageBytes} bytes of pages)`);
    summary = { checkpointId: sink.checkpointId, pid, tasks: tree.tasks.length + tree.zombies.length, frozenMs, pageBytes, pagesMs: context.pages.ms, records: commit.recordCount + 1n, fate };
  } catch (e) {
    // What was taken out of the tree (a terminal's queued bytes) goes back before its programs run on.
    try {
      undoAll(held);
    } finally {
      releaseTree(tree);
      await sink.abort().catch(() => {});
    }
    throw e;
  }
  if (notTakenOver !== null) {
    const why = notTakenOver instanceof Error ? notTakenOver.message : String(notTakenOver);
    throw new Error(`checkpoint ${summary.checkpointId} was not taken over (${why}): pid ${pid} runs on here`);
  }
  return summary;
}
