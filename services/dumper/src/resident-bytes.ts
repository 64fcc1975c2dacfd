import fs from 'node:fs';

/** Resident memory of PIDS (a running tree): what their pages will come to, about. */
export function residentBytes(pids: readonly number[]): number {
  let total = 0;
  for (const p of pids) {
    try {
      const m = /^Rss:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // ended meanwhile
    }
  }
  return total;
}
