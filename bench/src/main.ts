// npm run bench: dump and restore of processes holding 64, 512 and 2048 MiB of touched memory,
// images on tmpfs, each figure printed beside a baseline measured in the same run.
// First the start-up of the command; after the memory part the same sizes whole-command beside
// CRIU (versus-criu.ts); then trees and threads (trees.ts), a tree and a many-threaded process at
// two counts each beside CRIU (counts.ts), sockets beside CRIU (sockets.ts), the BullMQ stage
// barriers (barriers.ts), and a migration from host a to host b (migrate.ts);
// FERRY_BENCH_ONLY=startup|memory|criu|trees|counts|sockets|barriers|migrate runs one part alone.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { table } from './table.js';
import { newWorkDir, compile, ferry, startWorkload, pidsFreed, killPids, wanted } from './run.js';
import { benchTrees } from './trees.js';
import { benchCounts } from './counts.js';
import { benchBarriers } from './barriers.js';
import { benchMigrate, migrateWanted } from './migrate.js';
import { benchStartup, benchVersusCriu } from './versus-criu.js';
import { benchSockets } from './sockets.js';

const work = newWorkDir();
const allSizes = (process.env.FERRY_BENCH_SIZES ?? '64,512,2048').split(',').map(Number);
const sizes = wanted('memory') ? allSizes : [];

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

/**
 * The median of three: a single baseline swung 0.5-2.8 GB/s between runs, as the host took this
 * VM's free memory back or not (free page reporting) just before it.
 */
function median3(measure: () => number): number {
  return [measure(), measure(), measure()].sort((a, b) => a - b)[1]!;
}

if (wanted('startup')) benchStartup();
const hold = compile(work, 'hold');
const touch = compile(work, 'firsttouch');
const rows: string[][] = [];
const ratio = (x: number, base: number) => `${x.toFixed(2)} GB/s (${(x / base).toFixed(2)}x)`;
if (sizes.length) console.log(`memcpy baseline: ${memcpyRate().toFixed(2)} GB/s`);
try {
  for (const mib of sizes) {
    const pid = await startWorkload(work, hold, [String(mib)]);
    const image = path.join(work, `image-${mib}`);
    const writeBase = median3(() => tmpfsWriteRate(mib));
    const d = ferry(work, ['dump', '-t', String(pid), '-D', image]);
    await pidsFreed([pid]);
    const touchBase = median3(() => firstTouchRate(touch, mib));
    const r = ferry(work, ['restore', '-D', image, '-d']);
    killPids([r.pid]);
    fs.rmSync(image, { recursive: true });
    const dumpRate = d.pageBytes / (d.ms / 1000) / GB;
    const restoreRate = d.pageBytes / (r.ms / 1000) / GB;
    rows.push([`${mib} MiB`, d.ms.toFixed(0), ratio(dumpRate, writeBase), writeBase.toFixed(2), ratio(restoreRate, touchBase), touchBase.toFixed(2), String(Math.round(d.peakRssKiB / 1024)), String(Math.round(r.peakRssKiB / 1024))]);
  }
  if (sizes.length) {
    console.log(table(['SIZE', 'FROZEN ms', 'DUMP (vs tmpfs write)', 'TMPFS WRITE GB/s', 'RESTORE (vs first touch)', 'FIRST TOUCH GB/s', 'DUMPER RSS MiB', 'RESTORER RSS MiB'], rows));
    console.log('targets: dump >= 0.9x tmpfs write, restore >= 0.9x first touch, peak RSS < 150 MiB');
  }
  if (wanted('criu')) await benchVersusCriu(work, allSizes);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
if (wanted('trees')) await benchTrees();
if (wanted('counts')) await benchCounts();
if (wanted('sockets')) await benchSockets();
if (wanted('barriers')) await benchBarriers();
if (migrateWanted()) await benchMigrate();
