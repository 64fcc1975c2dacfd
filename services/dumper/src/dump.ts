import os from 'node:os';
import { openLocalSink, KIND_NAMES, encodePayload, defaultPayload, type RecordSink } from '@ferry/proto';
import { processExists, readStat, readSmaps } from '@ferry/sys';
import { FrozenTask } from './frozen-task.js';
import { collectTask } from './objects/pstree.js';
import { collectFds } from './objects/fd.js';
import { putFile } from './objects/file-kinds.js';
import { collectCore } from './objects/core.js';
import { collectSignals } from './objects/signals.js';
import { collectProcAttrs } from './objects/procattrs.js';
import { collectMm } from './objects/mm.js';
import { describeVmas } from './objects/vma.js';
import { dumpPages } from './objects/pages.js';
import { silentLog, type Log } from './log.js';
import { refuseUnsupportedState } from './unsupported.js';

export const FERRY_VERSION = '0.1.0';

export interface DumpOptions {
  pid: number;
  dir: string;
  leaveRunning?: boolean;
  log?: Log;
}

export interface DumpSummary {
  checkpointId: string;
  pid: number;
  frozenMs: number;
  pageBytes: bigint;
  records: bigint;
}

function checkDumpable(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  if (pid === process.pid) throw new Error('ferry cannot dump itself');
  if (!processExists(pid)) throw new Error(`no process with pid ${pid}`);
  const stat = readStat(pid);
  if (stat.state === 'Z') throw new Error(`pid ${pid} is a zombie`);
  if (stat.numThreads > 1) throw new Error(`pid ${pid} has ${stat.numThreads} threads: multi-threaded processes are not supported yet`);
  refuseUnsupportedState(pid);
}

async function writeTask(task: FrozenTask, sink: RecordSink, log: Log): Promise<bigint> {
  const pid = task.pid;
  let t = performance.now();
  const step = (what: string) => {
    const now = performance.now();
    log.debug(`pid ${pid}: ${what} in ${(now - t).toFixed(2)} ms`);
    t = now;
  };
  await sink.put('pstree', `task:${pid}`, collectTask(pid));
  await sink.put('procattrs', `procattrs:${pid}`, collectProcAttrs(pid));
  const files = collectFds(pid);
  for (const file of files.files) await putFile(sink, file);
  for (const fd of files.fds) await sink.put('fd', `fd:${pid}:${fd.fd}`, fd);
  step('tree, attributes and files');
  await sink.put('signals', `signals:${pid}`, collectSignals(task));
  await sink.put('core', `core:${pid}`, collectCore(task, pid));
  await sink.put('mm', `mm:${pid}`, collectMm(task));
  task.dropScratch();
  step('signals, registers and mm');
  const vmas = describeVmas(pid, readSmaps(pid));
  for (const vma of vmas) await sink.put('vma', `vma:${pid}:${vma.start.toString(16)}`, vma);
  step('mappings');
  const bytes = await dumpPages(pid, vmas, task.mem, sink);
  step('pages');
  log.debug(`pid ${pid}: ${vmas.length} mappings, ${bytes} bytes of pages`);
  return bytes;
}

/**
 * Checkpoints one process into a local image directory. Whatever fails, the process is left
 * running as it was and no partial image remains.
 */
export async function dump(opts: DumpOptions): Promise<DumpSummary> {
  const log = opts.log ?? silentLog;
  const { pid } = opts;
  checkDumpable(pid);
  collectFds(pid); // refuse unsupported descriptors before the process is stopped at all
  // Everything that does not need the process stopped happens before it is.
  const sink: RecordSink = await openLocalSink(opts.dir, {
    formatVersion: 1,
    host: os.hostname(),
    kernel: os.release(),
    rootPid: pid,
    createdMs: BigInt(Date.now()),
    ferryVersion: FERRY_VERSION,
    pageSize: 4096,
    arch: process.arch === 'x64' ? 'x86_64' : process.arch,
  });
  // The codecs compile on first use: let that happen while the process still runs.
  for (const kind of KIND_NAMES) encodePayload(kind, defaultPayload(kind));
  let task: FrozenTask;
  const started = performance.now();
  try {
    task = FrozenTask.freeze(pid);
  } catch (e) {
    await sink.abort();
    throw e;
  }
  try {
    checkDumpable(pid);
    const pageBytes = await writeTask(task, sink, log);
    const commit = await sink.commit();
    if (opts.leaveRunning) task.release();
    else task.kill();
    const frozenMs = performance.now() - started;
    log.info(`dumped pid ${pid} in ${frozenMs.toFixed(1)} ms (${pageBytes} bytes of pages)`);
    return { checkpointId: sink.checkpointId, pid, frozenMs, pageBytes, records: commit.recordCount + 1n };
  } catch (e) {
    task.release();
    await sink.abort().catch(() => {});
    throw e;
  }
}
