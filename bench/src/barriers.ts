// What the BullMQ stage barriers cost: a tree of 100 processes restored with --stages bullmq on a
// private redis-server; per stage, its participants and the time from its last participant's end
// to its parent job's completion, beside the whole restore with the local barrier.
import fs from 'node:fs';
import path from 'node:path';
import { table } from './table.js';
import { startRedis, stageLines, treeOf } from '@ferry/testbed';
import { newWorkDir, compile, ferry, startWorkload, pidsFreed, killPids, type Stats } from './run.js';

const TASKS = 100;

async function restoreOnce(work: string, image: string, pids: number[], args: string[]): Promise<Stats> {
  const restored = ferry(work, ['restore', '-D', image, '-d', ...args]);
  killPids(pids);
  await pidsFreed(pids);
  return restored;
}

export async function benchBarriers(): Promise<void> {
  const work = newWorkDir();
  const redis = await startRedis();
  const pids: number[] = [];
  try {
    const root = await startWorkload(work, compile(work, 'forest'), [String(TASKS), '1']);
    pids.push(...treeOf(root));
    const image = path.join(work, 'image');
    ferry(work, ['dump', '-t', String(root), '-D', image]);
    await pidsFreed(pids);
    // The same image three times: local, then bullmq, then local again so that neither runs cold.
    await restoreOnce(work, image, pids, []);
    const bull = await restoreOnce(work, image, pids, ['-v', '--stages', 'bullmq', '--redis', redis.url]);
    const local = await restoreOnce(work, image, pids, []);
    const lines = stageLines(bull.stderr);
    const rows = lines.map((l) => [l.stage, String(l.participants), l.ms.toFixed(1), l.barrierMs.toFixed(2)]);
    const total = lines.reduce((n, l) => n + l.barrierMs, 0);
    rows.push(['all stages', '', '', total.toFixed(2)]);
    console.log(table(['STAGE (100-process tree, bullmq)', 'PARTICIPANTS', 'STAGE ms', 'BARRIER ms'], rows));
    console.log(`restore() with bullmq stages: ${bull.ms.toFixed(0)} ms; with the local barrier: ${local.ms.toFixed(0)} ms`);
    console.log('BARRIER: from the last participant finishing to the stage\'s parent job running (the barrier passed)');
  } finally {
    killPids(pids);
    await pidsFreed(pids);
    await redis.kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
