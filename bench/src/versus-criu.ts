// Whole commands as a user runs them, ferry beside CRIU in the same run: start-up (`ferry --help`
// against node starting alone) and dump and restore of a process holding touched memory, images
// on tmpfs, runs alternating between the two so both meet the same memory state; medians of 3.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ferryBin } from '@ferry/testbed';
import { table } from './table.js';
import { compile, ferry, startWorkload, pidsFreed, killPids } from './run.js';
import { findCriu, runCriuWithPeak, type Criu } from './criu.js';
import { median } from './median.js';

const RUNS = 3;

function wallMs(argv: string[]): number {
  const t = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

/** `ferry --help` against `node -e 0`, medians of 5 alternating runs; the target is 100 ms. */
export function benchStartup(): void {
  const node: number[] = [], help: number[] = [];
  for (let i = 0; i < 5; i++) {
    node.push(wallMs([process.execPath, '-e', '0']));
    help.push(wallMs([process.execPath, ferryBin, '--help']));
  }
  const n = median(node), h = median(help);
  console.log(table(['COMMAND', 'WALL ms', 'VS NODE ALONE'], [
    ['node -e 0', n.toFixed(0), '1.00x'],
    ['ferry --help', h.toFixed(0), `${(h / n).toFixed(2)}x`],
  ]));
  console.log('target: ferry --help under 100 ms');
}

interface FerryRound { ferryDump: number; ferryFrozen: number; ferryRestore: number; ferryDumpRssKiB: number; ferryRestoreRssKiB: number }
interface CriuRound { criuDump: number; criuRestore: number; criuDumpRssKiB: number; criuRestoreRssKiB: number }
type Pair = FerryRound & Partial<CriuRound>;

/** ferry's peaks are the CLI's own VmHWM (FERRY_STATS): the dumper and restorer run inside it for -D. */
async function ferryRound(work: string, hold: string, mib: number): Promise<FerryRound> {
  const pid = await startWorkload(work, hold, [String(mib)]);
  const image = path.join(work, 'ferry-image');
  try {
    const d = ferry(work, ['dump', '-t', String(pid), '-D', image]);
    await pidsFreed([pid]);
    const r = ferry(work, ['restore', '-D', image, '-d']);
    killPids([r.pid]);
    await pidsFreed([r.pid]);
    return { ferryDump: d.wallMs, ferryFrozen: d.ms, ferryRestore: r.wallMs, ferryDumpRssKiB: d.peakRssKiB, ferryRestoreRssKiB: r.peakRssKiB };
  } finally {
    killPids([pid]);
    fs.rmSync(image, { recursive: true, force: true });
  }
}

async function criuRound(criu: Criu, peakRss: string, work: string, hold: string, mib: number): Promise<CriuRound> {
  const pid = await startWorkload(work, hold, [String(mib)]);
  const image = fs.mkdtempSync(path.join(work, 'criu-image-'));
  try {
    const dump = runCriuWithPeak(criu, peakRss, ['dump', '-t', String(pid), '-D', image], image);
    await pidsFreed([pid]);
    const pidfile = path.join(image, 'restored.pid');
    const restore = runCriuWithPeak(criu, peakRss, ['restore', '-D', image, '-d', '--pidfile', pidfile], image);
    const restored = Number(fs.readFileSync(pidfile, 'utf8'));
    killPids([restored]);
    await pidsFreed([restored]);
    return { criuDump: dump.ms, criuRestore: restore.ms, criuDumpRssKiB: dump.peakRssKiB, criuRestoreRssKiB: restore.peakRssKiB };
  } finally {
    killPids([pid]);
    fs.rmSync(image, { recursive: true, force: true });
  }
}

const times = (ferryMs: number, criuMs?: number) => (criuMs === undefined ? '-' : `${(ferryMs / criuMs).toFixed(2)}x`);
const RSS_TARGET_MIB = 150;
const mib0 = (kib?: number) => (kib === undefined ? '-' : (kib / 1024).toFixed(0));
const rssVerdict = (kib: number) => `${kib / 1024 < RSS_TARGET_MIB ? 'met' : 'MISSED'} (target < ${RSS_TARGET_MIB} MiB)`;

/** Dump and restore of SIZES MiB by both tools (ferry alone when there is no CRIU), with the targets beside the ratios. */
export async function benchVersusCriu(work: string, sizes: number[]): Promise<void> {
  const criu = findCriu();
  const hold = compile(work, 'hold');
  const peakRss = compile(work, 'peak-rss');
  const rows: string[][] = [], peaks: string[][] = [];
  for (const mib of sizes) {
    const pairs: Pair[] = [];
    for (let i = 0; i < RUNS; i++) {
      const ours = await ferryRound(work, hold, mib);
      pairs.push({ ...ours, ...(typeof criu === 'string' ? {} : await criuRound(criu, peakRss, work, hold, mib)) });
    }
    const m = (k: keyof Pair) => (pairs[0]![k] === undefined ? undefined : median(pairs.map((p) => p[k]!)));
    // A peak is the highest of the runs': what the machine must have free for any of them.
    const peak = (k: keyof Pair) => (pairs[0]![k] === undefined ? undefined : Math.max(...pairs.map((p) => p[k]!)));
    const ms0 = (x?: number) => (x === undefined ? '-' : x.toFixed(0));
    rows.push([
      `${mib} MiB`,
      ms0(m('ferryDump')), ms0(m('ferryFrozen')), ms0(m('criuDump')), times(m('ferryDump')!, m('criuDump')),
      ms0(m('ferryRestore')), ms0(m('criuRestore')), times(m('ferryRestore')!, m('criuRestore')),
    ]);
    peaks.push([
      `${mib} MiB`,
      mib0(peak('ferryDumpRssKiB')), mib0(peak('criuDumpRssKiB')), times(peak('ferryDumpRssKiB')!, peak('criuDumpRssKiB')), rssVerdict(peak('ferryDumpRssKiB')!),
      mib0(peak('ferryRestoreRssKiB')), mib0(peak('criuRestoreRssKiB')), times(peak('ferryRestoreRssKiB')!, peak('criuRestoreRssKiB')), rssVerdict(peak('ferryRestoreRssKiB')!),
    ]);
  }
  if (typeof criu === 'string') console.log(`ferry vs CRIU: CRIU not measured in this run: ${criu}; ferry's figures alone`);
  else console.log(`ferry vs CRIU ${criu.version} (${criu.bin}), whole commands, medians of ${RUNS} alternating runs (ratio < 1: ferry is faster)`);
  console.log(table(['SIZE', 'FERRY DUMP ms', 'OF IT FROZEN', 'CRIU DUMP ms', 'DUMP ferry/CRIU', 'FERRY RESTORE ms', 'CRIU RESTORE ms', 'RESTORE ferry/CRIU'], rows));
  console.log('targets: 64 MiB dump and restore <= 1.2x; dump <= 1.0x at every size; restore <= 0.83x (1.2x faster) at 512 MiB and 2 GiB');
  console.log(`\npeak RSS of the tools' own processes in the same runs, MiB, the highest of ${RUNS}: ferry's CLI (dumper or restorer inside it; its VmHWM), criu itself (ru_maxrss, not the restored tree's)`);
  console.log(table(['SIZE', 'FERRY DUMP', 'CRIU DUMP', 'DUMP ferry/CRIU', 'FERRY DUMP vs TARGET', 'FERRY RESTORE', 'CRIU RESTORE', 'RESTORE ferry/CRIU', 'FERRY RESTORE vs TARGET'], peaks));
}
