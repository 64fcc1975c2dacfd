import { processExists, readStat } from '@ferry/sys';

const ZOMBIE_GRACE_MS = 2000;

/**
 * The pid must be free. A process killed by `ferry dump` stays a zombie until its parent reaps
 * it, which is usually a moment: wait that moment, then name who holds the pid.
 */
export async function ensurePidFree(pid: number): Promise<void> {
  const deadline = performance.now() + ZOMBIE_GRACE_MS;
  for (;;) {
    if (!processExists(pid)) return;
    let stat;
    try {
      stat = readStat(pid);
    } catch {
      return; // gone between the two reads
    }
    if (stat.state !== 'Z') throw new Error(`pid ${pid} is already in use (by ${stat.comm}): cannot restore the task that had it`);
    if (performance.now() > deadline) throw new Error(`pid ${pid} is held by a zombie that its parent ${stat.ppid} has not reaped`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
