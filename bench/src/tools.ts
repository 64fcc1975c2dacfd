// ferry and CRIU as the parts that race them use them: one dump of a pid into an image directory,
// one detached restore of it, whole commands timed, with the options a workload needs on both.
import fs from 'node:fs';
import path from 'node:path';
import { ferry } from './run.js';
import { runCriu, type Criu } from './criu.js';

/** How one tool dumps PID into IMAGE and restores it: wall times, ferry's frozen time, the restored pid. */
export type Tool = (image: string, pid: number) => { dump: () => { wall: number; frozen?: number }; restore: () => { wall: number; pid: number } };

export const ferryTool = (work: string, options: string[] = []): Tool => (image, pid) => ({
  dump: () => {
    const d = ferry(work, ['dump', '-t', String(pid), '-D', image, ...options]);
    return { wall: d.wallMs, frozen: d.ms };
  },
  restore: () => {
    const r = ferry(work, ['restore', '-D', image, '-d', ...options]);
    return { wall: r.wallMs, pid: r.pid };
  },
});

export const criuTool = (criu: Criu, options: string[] = []): Tool => (image, pid) => ({
  dump: () => ({ wall: runCriu(criu, ['dump', '-t', String(pid), '-D', image, ...options], image) }),
  restore: () => {
    const pidfile = path.join(image, 'restored.pid');
    const wall = runCriu(criu, ['restore', '-D', image, '-d', ...options, '--pidfile', pidfile], image);
    return { wall, pid: Number(fs.readFileSync(pidfile, 'utf8')) };
  },
});
