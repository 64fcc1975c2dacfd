import type { HostQueue } from './host-queue.js';
import type { RestoreJob, RestoreJobResult } from './jobs.js';

/** A restore job on HQ's host (opened with events): its agent fetches the checkpoint and restores it there, detached. */
export async function restoreOnHost(hq: HostQueue, checkpointId: string): Promise<RestoreJobResult> {
  const data: RestoreJob = { checkpointId };
  const job = await hq.queue.add('restore', data, { removeOnComplete: true, removeOnFail: true });
  return hq.outcome<RestoreJobResult>(job, `the restore of checkpoint ${checkpointId}`);
}
