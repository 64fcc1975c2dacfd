import { readlinkSync } from 'node:fs';
import type { Job } from 'bullmq';
import { dump } from '@ferry/dumper';
import { dumpTarget } from './dump-target.js';
import { config } from './config.js';
import type { AgentContext } from './agent-restore-job.js';
import type { CheckpointJob, CheckpointJobResult } from './host-jobs.js';

/**
 * A checkpoint job (`ferry checkpoint`, once or on a schedule): the tree of PID dumped to the image
 * server as a checkpoint of its workload, which keeps the last N of it if asked; killed afterwards
 * unless it is to be left running.
 */
export async function runCheckpointJob(job: Job<CheckpointJob, CheckpointJobResult>, agent: AgentContext): Promise<CheckpointJobResult> {
  const t0 = performance.now();
  const { pid, leaveRunning, keepLast } = job.data;
  const workload = job.data.name ?? defaultWorkload(agent.host, pid);
  const target = await dumpTarget({ imageServer: true, nats: agent.nats, name: workload, keepLast });
  // A tree this agent restored is its child: the reaper must not take the tracee's stops from the dumper.
  const spared = agent.spawned.has(pid);
  agent.spawned.add(pid);
  try {
    const d = await dump({ pid, ...target.options, leaveRunning, log: agent.log, failBeforeCommit: config.faults.dumpBeforeCommit });
    return { checkpointId: d.checkpointId, pid, workload, pageBytes: Number(d.pageBytes), ms: Math.round(performance.now() - t0), frozenMs: Math.round(d.frozenMs) };
  } finally {
    if (!spared) agent.spawned.delete(pid);
    await target.close();
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
