import type { CheckpointStore } from './store.js';

/** Removes all but the N most recently committed checkpoints of WORKLOAD; returns the ids removed. */
export async function keepLast(store: CheckpointStore, workload: string, n: number): Promise<string[]> {
  const mine = (await store.committed()).filter((i) => i.workload === workload);
  mine.sort((a, b) => b.committedAt.localeCompare(a.committedAt));
  const removed: string[] = [];
  for (const old of mine.slice(n)) {
    await store.remove(old.checkpointId);
    removed.push(old.checkpointId);
  }
  return removed;
}
