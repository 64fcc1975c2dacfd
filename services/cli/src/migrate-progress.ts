import { SingleBar, Presets } from 'cli-progress';
import type { MigrationProgress } from '@ferry/agent';

export interface ProgressDisplay {
  update(p: MigrationProgress): void;
  stop(): void;
}

const mib = (bytes: number) => Math.round(bytes / 1048576);

/** JSON lines on stdout with --json, a bar on a terminal's stderr, else nothing. */
export function progressDisplay(json: boolean): ProgressDisplay {
  const t0 = performance.now();
  const rate = (bytes: number) => Math.round(bytes / Math.max((performance.now() - t0) / 1000, 0.001));
  if (json) {
    return {
      update: (p) => process.stdout.write(`${JSON.stringify({ event: 'progress', ...p, pageRate: rate(p.pageBytes) })}\n`),
      stop: () => {},
    };
  }
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({
    format: '{phase} |{bar}| {value}/{total} MiB {rate} MiB/s {stage}',
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, Presets.shades_classic);
  let started = false;
  let streamed = 0;
  return {
    update: (p) => {
      // Once the pages are in, the rate is that of the stream, not of the wait for the target.
      if (p.phase === 'dumping') streamed = rate(p.pageBytes);
      const payload = { phase: p.phase, rate: mib(streamed), stage: p.stage ?? '' };
      const total = Math.max(mib(p.expectedBytes), mib(p.pageBytes), 1);
      if (!started) {
        bar.start(total, mib(p.pageBytes), payload);
        started = true;
      }
      bar.setTotal(total);
      bar.update(mib(p.pageBytes), payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
