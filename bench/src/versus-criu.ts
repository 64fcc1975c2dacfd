// Whole commands as a user runs them, ferry beside CRIU in the same run: start-up (`ferry --help`
// against node starting alone) and dump and restore of a process holding touched memory, images
// on tmpfs, runs alternating between the two so both meet the same memory state; medians of 3.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ferryBin } from '@ferry/testbed';
import { table } from './table.js';
import { compile, ferry, startWorkload, pidsFreed, killPids } from './run.js';
import { findCriu, runCriu, type Criu } from './criu.js';
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

interface Pair { ferryDump: number; ferryFrozen: number; ferryRestore: number; criuDump: number; criuRestore: number }

async function ferryRound(work: string, hold: string, mib: number): Promise<Pick<Pair, 'ferryDump' | 'ferryFrozen' | 'ferryRestore'>> {
  const pid = await startWorkload(work, hold, [String(mib)]);
  const image = path.join(work, 'ferry-image');
  try {
    const d = ferry(work, ['dump', '-t', String(pid), '-D', image]);
    await pidsFreed([pid]);
    const r = ferry(work, ['restore', '-D', image, '-d']);
    killPids([r.pid]);
    await pidsFreed([r.pid]);
    return { ferryDump: d.wallMs, ferryFrozen: d.ms, ferryRestore: r.wallMs };
  } finally {
    killPids([pid]);
    fs.rmSync(image, { recursive: true, force: true });
  }
}

async function criuRound(criu: Criu, work: string, hold: string, mib: number): Promise<Pick<Pair, 'criuDump' | 'criuRestore'>> {
  const pid = await startWorkload(work, hold, [String(mib)]);
  const image = fs.mkdtempSync(path.join(work, 'criu-image-'));
  try {
    const criuDump = runCriu(criu, ['dump', '-t', String(pid), '-D', image], image);
    await pidsFreed([pid]);
    const pidfile = path.join(image, 'restored.pid');
    const criuRestore = runCriu(criu, ['restore', '-D', image, '-d', '--pidfile', pidfile], image);
    const restored = Number(fs.readFileSync(pidfile, 'utf8'));
    killPids([restored]);
    await pidsFreed([restored]);
    return { criuDump, criuRestore };
  } finally {
    killPids([pid]);
    fs.rmSync(image, { recursive: true, force: true });
  }
}

const times = (ferryMs: number, criuMs: number) => `${(ferryMs / criuMs).toFixed(2)}x`;

/** Dump and restore of SIZES MiB by both tools, with the targets beside the ratios. */
export async function benchVersusCriu(work: string, sizes: number[]): Promise<void> {
  const criu = findCriu();
  if (typeof criu === 'string') {
    console.log(`ferry vs CRIU: not measured in this run: ${criu}`);
    return;
  }
  const hold = compile(work, 'hold');
  const rows: string[][] = [];
  for (const mib of sizes) {
    const pairs: Pair[] = [];
    for (let i = 0; i < RUNS; i++) pairs.push({ ...(await ferryRound(work, hold, mib)), ...(await criuRound(criu, work, hold, mib)) });
    const m = (k: keyof Pair) => median(pairs.map((p) => p[k]));
    rows.push([
      `${mib} MiB`,
      m('ferryDump').toFixed(0), m('ferryFrozen').toFixed(0), m('criuDump').toFixed(0), times(m('ferryDump'), m('criuDump')),
      m('ferryRestore').toFixed(0), m('criuRestore').toFixed(0), times(m('ferryRestore'), m('criuRestore')),
    ]);
  }
  console.log(`ferry vs CRIU ${criu.version} (${criu.bin}), whole commands, medians of ${RUNS} alternating runs (ratio < 1: ferry is faster)`);
  console.log(table(['SIZE', 'FERRY DUMP ms', 'OF IT FROZEN', 'CRIU DUMP ms', 'DUMP ferry/CRIU', 'FERRY RESTORE ms', 'CRIU RESTORE ms', 'RESTORE ferry/CRIU'], rows));
  console.log('targets: 64 MiB dump and restore <= 1.2x; dump <= 1.0x at every size; restore <= 0.83x (1.2x faster) at 512 MiB and 2 GiB');
}
