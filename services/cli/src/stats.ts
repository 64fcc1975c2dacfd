import fs from 'node:fs';
import { config } from './config.js';

/** Peak resident memory of this process, in KiB. */
function peakRssKiB(): number {
  const line = fs.readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return line ? parseInt(line.slice(6), 10) : 0;
}

/** For the benchmark: FERRY_STATS=FILE receives what a command measured, as JSON. */
export function reportStats(stats: { ms: number; pageBytes: number; pid: number }): void {
  const file = config.statsFile;
  if (file) fs.writeFileSync(file, JSON.stringify({ ...stats, peakRssKiB: peakRssKiB() }));
}
