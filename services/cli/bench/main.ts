// npm run bench: dump and restore of processes holding 64, 512 and 2048 MiB of touched memory,
// images on tmpfs, each figure printed beside a baseline measured in the same run.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { table } from '../src/table.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const repo = path.resolve(here, '../../../..');
const ferryBin = path.join(repo, 'services/cli/bin/ferry.js');
const sources = path.join(repo, 'services/cli/bench/workloads');
const work = fs.mkdtempSync('/dev/shm/ferry-bench-');
const sizes = (process.env.FERRY_BENCH_SIZES ?? '64,512,2048').split(',').map(Number);

function compile(name: string): string {
  const out = path.join(work, name);
  execFileSync('gcc', ['-O2', '-o', out, path.join(sources, `${name}.c`)]);
  return out;
}

const GB = 1e9;

function memcpyRate(): number {
  const a = Buffer.alloc(256 << 20, 1), b = Buffer.alloc(256 << 20, 2);
  const t = performance.now();
  for (let i = 0; i < 4; i++) a.copy(b);
  return (4 * a.length) / ((performance.now() - t) / 1000) / GB;
}

function tmpfsWriteRate(mib: number): number {
  const file = path.join(work, 'baseline.img');
  const chunk = Buffer.alloc(4 << 20, 7);
  const t = performance.now();
  const fd = fs.openSync(file, 'w');
  for (let done = 0; done < mib * 1048576; done += chunk.length) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const rate = (mib * 1048576) / ((performance.now() - t) / 1000) / GB;
  fs.rmSync(file);
  return rate;
}

function firstTouchRate(bin: string, mib: number): number {
  return Number(execFileSync(bin, [String(mib)], { encoding: 'utf8' }));
}

interface Stats { ms: number; pageBytes: number; peakRssKiB: number; pid: number }

function ferry(args: string[]): Stats {
  const statsFile = path.join(work, 'stats.json');
  const r = spawnSync(process.execPath, [ferryBin, ...args], { env: { ...process.env, FERRY_STATS: statsFile }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ferry ${args.join(' ')} failed: ${r.stderr}`);
  const stats = JSON.parse(fs.readFileSync(statsFile, 'utf8')) as Stats;
  fs.rmSync(statsFile);
  return stats;
}

async function startHolder(bin: string, mib: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(work, 'holder-'));
  const child = spawn(bin, [String(mib), dir], { detached: true, stdio: 'ignore' });
  child.unref();
  const ready = path.join(dir, 'ready');
  while (!fs.existsSync(ready)) await new Promise((r) => setTimeout(r, 20));
  return child.pid!;
}

/** The dumped holder is our child: node reaps it on its next turn of the event loop. */
async function pidFreed(pid: number): Promise<void> {
  while (fs.existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 5));
}

function killPid(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

const hold = compile('hold');
const touch = compile('firsttouch');
const rows: string[][] = [];
const ratio = (x: number, base: number) => `${x.toFixed(2)} GB/s (${(x / base).toFixed(2)}x)`;
console.log(`memcpy baseline: ${memcpyRate().toFixed(2)} GB/s`);
try {
  for (const mib of sizes) {
    const pid = await startHolder(hold, mib);
    const image = path.join(work, `image-${mib}`);
    const writeBase = tmpfsWriteRate(mib);
    const d = ferry(['dump', '-t', String(pid), '-D', image]);
    await pidFreed(pid);
    const touchBase = firstTouchRate(touch, mib);
    const r = ferry(['restore', '-D', image, '-d']);
    killPid(r.pid);
    fs.rmSync(image, { recursive: true });
    const dumpRate = d.pageBytes / (d.ms / 1000) / GB;
    const restoreRate = d.pageBytes / (r.ms / 1000) / GB;
    rows.push([`${mib} MiB`, d.ms.toFixed(0), ratio(dumpRate, writeBase), writeBase.toFixed(2), ratio(restoreRate, touchBase), touchBase.toFixed(2), String(Math.round(d.peakRssKiB / 1024)), String(Math.round(r.peakRssKiB / 1024))]);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(table(['SIZE', 'FROZEN ms', 'DUMP (vs tmpfs write)', 'TMPFS WRITE GB/s', 'RESTORE (vs first touch)', 'FIRST TOUCH GB/s', 'DUMPER RSS MiB', 'RESTORER RSS MiB'], rows));
console.log('targets: dump >= 0.9x tmpfs write, restore >= 0.9x first touch, peak RSS < 150 MiB');
