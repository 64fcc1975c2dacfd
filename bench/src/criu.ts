// The peer to beat, in the same run: CRIU 4.2 when it is there (../shared/reference/build-criu.sh
// builds it to /var/tmp/criu-4.2; FERRY_CRIU names another binary). Debian's criu 3.17 cannot
// start on this kernel, so a criu on PATH counts only if it says it is 4 or later.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

const BUILT = '/var/tmp/criu-4.2/criu/criu';

export interface Criu {
  bin: string;
  version: string;
}

function versionOf(bin: string): string | undefined {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return /Version:\s*(\S+)/.exec(r.stdout)?.[1];
}

/** The CRIU of this run, or why there is none (printed instead of its figures). */
export function findCriu(): Criu | string {
  const candidates = [process.env.FERRY_CRIU, BUILT, 'criu'].filter((c): c is string => !!c);
  for (const bin of candidates) {
    if (bin.includes('/') && !fs.existsSync(bin)) continue;
    const version = versionOf(bin);
    if (version !== undefined && Number(version.split('.')[0]) >= 4) return { bin, version };
  }
  return `no CRIU 4 here (tried ${candidates.join(', ')}; build it with ../shared/reference/build-criu.sh, or set FERRY_CRIU)`;
}

/** One criu command, its wall time in ms; throws with CRIU's log tail when it fails. */
export function runCriu(criu: Criu, args: string[], logDir: string): number {
  return timed([criu.bin], args, logDir);
}

/**
 * The same, run under PEAK_RSS (bench/workloads/peak-rss.c, compiled): its wall time and the
 * peak resident memory of criu itself, in KiB.
 */
export function runCriuWithPeak(criu: Criu, peakRss: string, args: string[], logDir: string): { ms: number; peakRssKiB: number } {
  const peakFile = `${logDir}/peak-rss`;
  const ms = timed([peakRss, peakFile, criu.bin], args, logDir);
  const peakRssKiB = Number(fs.readFileSync(peakFile, 'utf8'));
  fs.rmSync(peakFile);
  return { ms, peakRssKiB };
}

/** COMMAND (criu, or a wrapper running it) with criu's ARGS and its log in LOG_DIR. */
function timed(command: string[], args: string[], logDir: string): number {
  const t = performance.now();
  const r = spawnSync(command[0]!, [...command.slice(1), ...args, '-o', 'criu.log', '-v2'], { encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) {
    let log = '';
    try {
      log = fs.readFileSync(`${logDir}/criu.log`, 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch { /* no log */ }
    throw new Error(`criu ${args[0]} failed (${r.status}): ${log || r.stderr.trim()}`);
  }
  return ms;
}
