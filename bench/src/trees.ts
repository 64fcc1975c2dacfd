// Trees and threads: dump and restore of 100 processes holding 4 MiB each and of one process
// running 32 threads. Each is run again with a single task in the same run, so what one more
// task costs is the difference, free of node start-up and of what any dump or restore pays once.
import fs from 'node:fs';
import path from 'node:path';
import { table } from './table.js';
import { treeOf, threadsOf } from '@ferry/testbed';
import { newWorkDir, compile, ferry, startWorkload, pidsFreed, killPids, type Stats } from './run.js';

interface Workload {
  name: (tasks: number) => string;
  tasks: number;
  bin: string;
  args: (tasks: number) => string[];
  /** Its tasks as /proc shows them now: a restore that lost one must not pass for fast. */
  count: (pid: number) => number;
}

interface Run { tasks: number; dump: Stats; restore: Stats }

/** Every pid this part started or restored, so that a failure anywhere still kills them all. */
const ours = new Set<number>();

async function dumpAndRestore(work: string, w: Workload, tasks: number): Promise<Run> {
  const root = await startWorkload(work, w.bin, w.args(tasks));
  const pids = treeOf(root);
  pids.forEach((p) => ours.add(p));
  if (w.count(root) !== tasks) throw new Error(`${w.name(tasks)}: started with ${w.count(root)} tasks`);
  const image = path.join(work, 'image');
  const dump = ferry(work, ['dump', '-t', String(root), '-D', image]);
  await pidsFreed(pids);
  const restore = ferry(work, ['restore', '-D', image, '-d']);
  const back = w.count(root);
  killPids(pids);
  await pidsFreed(pids);
  fs.rmSync(image, { recursive: true });
  if (back !== tasks) throw new Error(`${w.name(tasks)}: ${back} tasks came back`);
  return { tasks, dump, restore };
}

const ms = (x: number) => x.toFixed(0);

/** What one more task adds, and how that compares with the whole of a lone task's work. */
function perTask(full: Run, lone: Run, of: (r: Run) => number): string {
  const each = (of(full) - of(lone)) / (full.tasks - 1);
  return `${each.toFixed(2)} (${(each / of(lone)).toFixed(2)}x lone)`;
}

function row(name: string, r: Run, lone?: Run): string[] {
  return [
    name,
    ms(r.dump.wallMs), ms(r.dump.ms), ms(r.restore.wallMs), ms(r.restore.ms),
    lone ? perTask(r, lone, (x) => x.dump.ms) : '-',
    lone ? perTask(r, lone, (x) => x.restore.ms) : '-',
    String(Math.round(r.dump.peakRssKiB / 1024)), String(Math.round(r.restore.peakRssKiB / 1024)),
  ];
}

export async function benchTrees(): Promise<void> {
  const work = newWorkDir();
  const rows: string[][] = [];
  try {
    const forest = compile(work, 'forest');
    const threads = compile(work, 'threads', ['-pthread']);
    const workloads: Workload[] = [
      { name: (n) => `${n} process${n > 1 ? 'es' : ''} x 4 MiB`, tasks: 100, bin: forest, args: (n) => [String(n), '4'], count: (pid) => treeOf(pid).length },
      { name: (n) => `1 process, ${n} thread${n > 1 ? 's' : ''}`, tasks: 32, bin: threads, args: (n) => [String(n)], count: (pid) => threadsOf(pid).length },
    ];
    for (const w of workloads) {
      const lone = await dumpAndRestore(work, w, 1);
      const full = await dumpAndRestore(work, w, w.tasks);
      rows.push(row(w.name(1), lone), row(w.name(w.tasks), full, lone));
    }
  } finally {
    killPids(ours);
    await pidsFreed(ours);
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(table(['WORKLOAD', 'DUMP ms', 'FROZEN ms', 'RESTORE ms', 'IN RESTORE ms', 'DUMP ms/TASK', 'RESTORE ms/TASK', 'DUMPER RSS MiB', 'RESTORER RSS MiB'], rows));
  console.log('DUMP, RESTORE: the whole ferry command; IN RESTORE: restore() alone, without node start-up');
  console.log('ms/TASK: what one more process or thread adds to FROZEN (dump) and IN RESTORE (restore),');
  console.log('(N-task run - 1-task run) / (N - 1), and how that compares with the 1-task run');
}
