import fs from 'node:fs';
import { runningTree } from './tree.js';

/** Resident memory of PID and its descendants: what their pages will come to, about. */
export function residentBytes(pid: number): number {
  let total = 0;
  for (const p of runningTree(pid)) {
    try {
      const m = /^Rss:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // ended meanwhile
    }
  }
  return total;
}
