// The counts part (FERRY_BENCH_ONLY=counts): a tree of processes and one process of many threads,
// each at two sizes (FERRY_BENCH_COUNT_PROCESSES, default 25,100; FERRY_BENCH_COUNT_THREADS,
// default 250,1000), dumped and restored by ferry and by CRIU in the same run, alternating, whole
// commands, medians of 3. A restore's times count only once every task of it has answered its
// check (alive, with its pid, parent or thread id, and memory as they were). What it prints: the
// cost per task at each size, whether that cost stays flat as the count grows (linear), and ferry
// against CRIU with the target beside it.
import fs from 'node:fs';
import path from 'node:path';
import { treeOf, threadsOf } from '@ferry/testbed';
import { table } from './table.js';
import { newWorkDir, compile, pidsFreed, killPids } from './run.js';
import { findCriu } from './criu.js';
import { median } from './median.js';
import { ferryTool, criuTool, type Tool } from './tools.js';
import { startLogged, askForCheck } from './logged-workload.js';

const RUNS = 3;
/** Per-task cost at the larger size over that at the smaller, up to which the cost counts as linear (noise allowed for). */
const LINEAR_UP_TO = 1.1;

interface Workload {
  /** "processes" or "threads": what is counted. */
  unit: string;
  bin: string;
  /** Its tasks as /proc shows them: a workload that did not start whole must not be timed. */
  count: (root: number) => number;
  /** Every pid a dump takes away and a restore brings back. */
  pids: (root: number) => number[];
  /** Whether what the restored workload said since the check was asked is its whole, correct answer (throws if wrong). */
  answered: (said: string, tasks: number) => boolean;
}

function failedLine(said: string): void {
  const failed = said.split('\n').find((l) => l.startsWith('failed'));
  if (failed) throw new Error(`the restored workload: ${failed}`);
}

const treeWorkload = (bin: string): Workload => ({
  unit: 'processes',
  bin,
  count: (root) => treeOf(root).length,
  pids: treeOf,
  answered: (said, tasks) => {
    failedLine(said);
    // Asked again, tasks answer again: what counts is how many distinct tasks said ok.
    return new Set([...said.matchAll(/^ok (\d+)$/gm)].map((m) => m[1])).size === tasks;
  },
});

const threadsWorkload = (bin: string): Workload => ({
  unit: 'threads',
  bin,
  count: (root) => threadsOf(root).length,
  pids: (root) => [root],
  answered: (said, tasks) => {
    failedLine(said);
    return said.split('\n').includes(`ok ${tasks}`);
  },
});

interface Round { dumpMs: number; restoreMs: number }

async function round(work: string, w: Workload, tasks: number, tool: Tool): Promise<Round> {
  const started = await startLogged(work, w.bin, [String(tasks)], 'ready');
  const pids = w.pids(started.pid);
  const image = fs.mkdtempSync(path.join(work, 'image-'));
  try {
    if (w.count(started.pid) !== tasks) throw new Error(`${tasks} ${w.unit}: started with ${w.count(started.pid)}`);
    const t = tool(image, started.pid);
    const d = t.dump();
    await pidsFreed(pids);
    const r = t.restore();
    if (r.pid !== started.pid) throw new Error(`${tasks} ${w.unit}: restored as pid ${r.pid}, dumped as ${started.pid}`);
    await askForCheck(r.pid, started.output, (said) => w.answered(said, tasks));
    return { dumpMs: d.wall, restoreMs: r.wall };
  } finally {
    killPids(pids);
    await pidsFreed(pids);
    fs.rmSync(image, { recursive: true, force: true });
  }
}

/** One size's medians: ferry's, and CRIU's when it is here. */
interface Size { tasks: number; ferry: Round; criu?: Round }

async function measure(work: string, w: Workload, tasks: number, ferry: Tool, criu?: Tool): Promise<Size> {
  const ours: Round[] = [], theirs: Round[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(await round(work, w, tasks, ferry));
    if (criu) theirs.push(await round(work, w, tasks, criu));
  }
  const medians = (rs: Round[]) => ({ dumpMs: median(rs.map((r) => r.dumpMs)), restoreMs: median(rs.map((r) => r.restoreMs)) });
  return { tasks, ferry: medians(ours), criu: criu ? medians(theirs) : undefined };
}

const TARGET = 'target ≤ 1.0x CRIU';
const perTask = (ms: number, tasks: number) => `${ms.toFixed(0)} (${(ms / tasks).toFixed(2)}/task)`;
const versus = (ours: number, theirs?: number) => (theirs === undefined ? '-' : `${(ours / theirs).toFixed(2)}x (${TARGET})`);

function sizeRow(s: Size, unit: string): string[] {
  return [
    `${s.tasks} ${unit}`,
    perTask(s.ferry.dumpMs, s.tasks), s.criu ? perTask(s.criu.dumpMs, s.tasks) : '-', versus(s.ferry.dumpMs, s.criu?.dumpMs),
    perTask(s.ferry.restoreMs, s.tasks), s.criu ? perTask(s.criu.restoreMs, s.tasks) : '-', versus(s.ferry.restoreMs, s.criu?.restoreMs),
  ];
}

/** Per-task cost at the larger size over that at the smaller, whether that is linear, and what each added task cost. */
function growth(small: Size, large: Size, of: (s: Size) => number | undefined): string {
  const a = of(small), b = of(large);
  if (a === undefined || b === undefined) return '-';
  // Judged as printed, so that a 1.10x never reads as over the line.
  const ratio = ((b / large.tasks) / (a / small.tasks)).toFixed(2);
  const added = (b - a) / (large.tasks - small.tasks);
  return `${ratio}x (${Number(ratio) <= LINEAR_UP_TO ? 'linear or better' : 'superlinear'}), +${added.toFixed(2)}/added task`;
}

function growthRow(small: Size, large: Size): string[] {
  return [
    `${large.tasks} vs ${small.tasks}`,
    growth(small, large, (s) => s.ferry.dumpMs), growth(small, large, (s) => s.criu?.dumpMs), '',
    growth(small, large, (s) => s.ferry.restoreMs), growth(small, large, (s) => s.criu?.restoreMs), '',
  ];
}

function sizesFrom(variable: string, fallback: string): [number, number] {
  const sizes = (process.env[variable] ?? fallback).split(',').map(Number);
  if (sizes.length !== 2 || !sizes.every((n) => Number.isInteger(n) && n > 0) || sizes[0]! >= sizes[1]!) {
    throw new Error(`${variable}: two counts, the smaller first (as ${fallback}), not ${process.env[variable]}`);
  }
  return [sizes[0]!, sizes[1]!];
}

export async function benchCounts(): Promise<void> {
  const processes = sizesFrom('FERRY_BENCH_COUNT_PROCESSES', '25,100');
  const threads = sizesFrom('FERRY_BENCH_COUNT_THREADS', '250,1000');
  const work = newWorkDir();
  try {
    const criu = findCriu();
    const ferry = ferryTool(work);
    const theirs = typeof criu === 'string' ? undefined : criuTool(criu);
    const workloads: [Workload, [number, number]][] = [
      [treeWorkload(compile(work, 'checked-tree')), processes],
      [threadsWorkload(compile(work, 'checked-threads', ['-pthread'])), threads],
    ];
    const rows: string[][] = [];
    for (const [w, [small, large]] of workloads) {
      const a = await measure(work, w, small, ferry, theirs);
      const b = await measure(work, w, large, ferry, theirs);
      rows.push(sizeRow(a, w.unit), sizeRow(b, w.unit), growthRow(a, b));
    }
    const against = typeof criu === 'string' ? `CRIU not measured in this run: ${criu}` : `CRIU ${criu.version} (${criu.bin})`;
    console.log(`counts: a process tree and a process of many threads, ferry and ${against}; whole commands, ms, medians of ${RUNS} alternating runs, each restore checked alive and whole`);
    console.log(table(['WORKLOAD', 'FERRY DUMP', 'CRIU DUMP', 'DUMP ferry/CRIU', 'FERRY RESTORE', 'CRIU RESTORE', 'RESTORE ferry/CRIU'], rows));
    console.log(`L vs S rows: the per-task cost at the larger count L over that at the smaller S (up to ${LINEAR_UP_TO}x: linear in the count or better, as\nwhat is paid once spreads over more tasks), and (ms at L - ms at S) / (L - S): what one more task costs`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
