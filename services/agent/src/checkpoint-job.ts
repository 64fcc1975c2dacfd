import { readlinkSync } from 'node:fs';
import type { Job } from 'bullmq';
import { dump } from '@ferry/dumper';
import { imageServerSink } from './image-server-sink.js';
import type { AgentContext } from './context.js';
import type { CheckpointJob, CheckpointJobResult } from './jobs.js';

/**
 * A checkpoint job (`ferry checkpoint`, once or on a schedule): the tree of PID dumped to the image
 * server as a checkpoint of its workload, which keeps the last N of it if asked; killed afterwards
 * unless it is to be left running.
 */
export async function runCheckpointJob(job: Job<CheckpointJob, CheckpointJobResult>, agent: AgentContext): Promise<CheckpointJobResult> {
  const t0 = performance.now();
  const { pid, leaveRunning, keepLast, fileLocks } = job.data;
  const workload = job.data.name ?? defaultWorkload(agent.host, pid);
  const sink = await imageServerSink({ nats: agent.nats, name: workload, keepLast });
  // A tree this agent restored is its child: the reaper must not take the tracee's stops from the dumper.
  const spared = agent.spawned.has(pid);
  agent.spawned.add(pid);
  try {
    const d = await dump({ pid, openSink: sink.openSink, leaveRunning, fileLocks, log: agent.log, failBeforeCommit: agent.faults.dumpBeforeCommit });
    return { checkpointId: d.checkpointId, pid, workload, pageBytes: Number(d.pageBytes), ms: Math.round(performance.now() - t0), frozenMs: Math.round(d.frozenMs) };
  } finally {
    if (!spared) agent.spawned.delete(pid);
    await sink.close();
  }
}

/**
 * HOST:PID:EXE, as the image server names a dump's workload but with the agent's host name (two
 * agents on one machine are two hosts): every checkpoint of the same process is the same workload.
 */
function defaultWorkload(host: string, pid: number): string {
  let exe = '';
  try {
    exe = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // No such process: the dump says so.
  }
  return `${host}:${pid}:${exe}`;
}
