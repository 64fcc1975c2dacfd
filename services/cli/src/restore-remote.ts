import { fail } from './fail.js';
import { redisOf } from './config.js';

export interface RestoreOnHostFlags {
  host: string;
  checkpoint?: string;
  imagesDir?: string;
  redis?: string;
  pidfile?: string;
  inheritFd?: string[];
  shellJob?: boolean;
  stages?: string;
}

/**
 * `ferry restore --checkpoint ID --host H`: a restore job on H's agent queue; the agent fetches the
 * checkpoint and restores it there, detached, as its child. Prints the restored pid (H's pid).
 */
export async function restoreOnHost(o: RestoreOnHostFlags): Promise<void> {
  try {
    if (o.imagesDir !== undefined) throw new Error('--host restores a checkpoint of the image server: give --checkpoint ID, not -D');
    if (o.checkpoint === undefined) throw new Error('which checkpoint? --host restores one of the image server: give --checkpoint ID');
    const local = Object.entries({ '--pidfile': o.pidfile, '--inherit-fd': o.inheritFd, '-j': o.shellJob, '--stages': o.stages }).find(([, v]) => v !== undefined);
    if (local) throw new Error(`${local[0]} does not go with --host: the agent there restores the tree detached`);
    const { AgentGone, HostQueue, restoreOnHost: restoreThere } = await import('@ferry/agent');
    const hq = await HostQueue.open(o.host, await redisOf(o.redis), { agentNeeded: true, events: true });
    try {
      const restored = await restoreThere(hq, o.checkpoint).catch((e: Error) => {
        throw e instanceof AgentGone ? e : new Error(`on ${o.host}: ${e.message}`);
      });
      process.stdout.write(`${restored.pid}\n`);
    } finally {
      await hq.close();
    }
  } catch (e) {
    fail('restore', e);
  }
}
