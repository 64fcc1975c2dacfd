// The migrate part (FERRY_BENCH_ONLY=migrate): `ferry migrate --from a --to b` of a process holding
// FERRY_BENCH_MIGRATE_MIB (2048) MiB of touched memory, a and b on this machine over loopback
// (migrate-cluster.ts), images on tmpfs, after a small warm-up migration. The pages go from a's
// dumper straight to agent b's page stream, the image server storing the records only (or, when b
// cannot take them, to the image server as before: the fallback, reported as such). It prints the
// migration's own report (total, downtime, page bytes and rate, stages on b); a timeline of what
// was seen (the agents' -v lines, the pages arriving at b or at the server, b's fetch directory,
// the tree's memory on b, agent b's presence key in Redis); the downtime phase by phase; each
// service's CPU per phase and peak memory (beside CRIU's page server and dump, with the 150 MiB
// target); each part of the pages' path alone (the dumper to tmpfs, the image server fed from
// memory and fetched back); and a fresh workload of the same size dumped and restored here through
// the local barrier and through the BullMQ one, so that what the stage flows cost can be told from
// the stages' work. (The migrated checkpoint itself cannot be restored here: the store has its
// records only.) Baselines measured in the same run: tmpfs writes and first touches of cold and
// warm memory, raw TCP over loopback between two processes (C and node), request/reply over the
// same NATS in the pattern of a fetch over NATS, and CRIU's page server when a CRIU 4 is here
// (criu.ts); the 1.05 GB/s the issue quotes for CRIU is printed as a quote, never as a measurement.
// A failed migration still prints all it yielded, then fails the run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { STAGES } from '@ferry/restorer';
import { redisConfig } from '@ferry/restorer/bullmq';
import { connectNats, deleteCheckpoint, natsConfig } from '@ferry/transport';
import { table } from './table.js';
import { agentKey, type MigrationReport } from '@ferry/agent';
import { ferryBin, readStat, treeOf, waitUntil } from '@ferry/testbed';
import { newWorkDir, compile, ferry, startWorkload, pidsFreed, killPids, type Stats } from './run.js';
import { startBenchCluster, type BenchCluster } from './migrate-cluster.js';
import { Watch, Lines, Renewals, cpuUsed, cpuBetween, statusKiB, type Growth } from './migrate-watch.js';
import { tcpC, tcpNode, natsFetchPattern, criuPageServer, imageServerAlone, memoryRates, type ImageServerAlone, type MemoryRates, type Transfer, type CriuPageServer } from './migrate-baselines.js';

const GB = 1e9;
/** CRIU's page server on this machine as the issue quotes it: not measured by this run. */
const CRIU_QUOTED = 1.05 * GB;
const PAGE_TARGET = 1.2;
const BARRIER_TARGET_MS = 10;

/** FERRY_BENCH_ONLY=migrate runs this part alone; it runs with every other part too. */
export function migrateWanted(): boolean {
  const only = process.env.FERRY_BENCH_ONLY;
  return !only || only === 'migrate';
}

function sizeMiB(): number {
  const mib = Number(process.env.FERRY_BENCH_MIGRATE_MIB ?? 2048);
  if (!Number.isInteger(mib) || mib <= 0) throw new Error(`FERRY_BENCH_MIGRATE_MIB: not a number of MiB: ${process.env.FERRY_BENCH_MIGRATE_MIB}`);
  return mib;
}

interface StageTime { ms: number; barrierMs?: number; t?: number }

const STAGE_LINE = /^stage (\w+): (\d+) participants done in ([\d.]+) ms(?:, barrier ([\d.]+) ms)?$/;

/** The stage lines of a -v log (local and bullmq barriers both log one per stage), by stage. */
function stagesOf(messages: { t: number; msg: string }[]): Map<string, StageTime> {
  const out = new Map<string, StageTime>();
  for (const { t, msg } of messages) {
    const m = STAGE_LINE.exec(msg);
    if (m) out.set(m[1]!, { ms: Number(m[3]), barrierMs: m[4] === undefined ? undefined : Number(m[4]), t });
  }
  return out;
}

function stderrMessages(stderr: string): { t: number; msg: string }[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => ({ t: 0, msg: String((JSON.parse(l) as { msg: unknown }).msg) }));
}

/** What grows while the pages move: at b (the new path) or at the server (the fallback), then b's fetch directory. */
const PAGES_AT_B = 'pages at agent b (incoming-pages/ID.pages)';
const PAGES_AT_SERVER = 'pages at the image server (store ID/pages.img, the fallback)';
const FETCHED_RECORDS = 'b\'s fetch directory: records.log';
const FETCHED_PAGES = 'b\'s fetch directory: pages.img';

interface Migration {
  report?: MigrationReport;
  failure?: string;
  /** Agent b's presence key, renewed (every second) from its event loop. */
  presenceB: Renewals;
  watch: Watch;
  /** performance.now() when `ferry migrate` was started. */
  t0: number;
  progress: Lines;
}

/** Runs `ferry migrate --pid PID --from a --to b --json` with everything watched; its last JSON line, or why it failed. */
async function migrateWatched(c: BenchCluster, pid: number): Promise<Migration> {
  const inStore = (file: string) => {
    const id = fs.readdirSync(c.store).find((n) => !n.startsWith('.'));
    return id && path.join(c.store, id, file);
  };
  const fetched = (file: string) => {
    const dir = fs.readdirSync(c.agentDirB).find((n) => n.startsWith('ferry-restore-'));
    return dir && path.join(c.agentDirB, dir, file);
  };
  // The restore job moves it into its fetch directory: gone from here once b takes the job.
  const incoming = () => {
    const file = fs.readdirSync(c.incomingPagesB).find((n) => n.endsWith('.pages'));
    return file && path.join(c.incomingPagesB, file);
  };
  // Found once: walking agent a's tree every sample cost the machine more than the samples did.
  let dumperPid: number | undefined;
  const dumper = () => (dumperPid ??= treeOf(c.agentA.pid).slice(1).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('migrate-source')));
  let client: number | undefined;
  let restored: number | undefined;
  const gone = (p: number) => ['Z', 'X', undefined].includes(readStat(p)?.state);
  const watch = new Watch()
    .process('migrate-source (a\'s dumper)', dumper)
    .process('agent a', () => c.agentA.pid)
    .process('image server', () => c.imageServer.pid)
    .process('agent b (page stream, fetch, restore)', () => c.agentB.pid)
    .process('nats-server', c.natsPid)
    .process('redis-server', () => c.redis.pid)
    .process('ferry migrate (client)', () => client)
    .writes(PAGES_AT_B, incoming, 'frozen')
    .writes(PAGES_AT_SERVER, () => inStore('pages.img'), 'frozen')
    .file(FETCHED_RECORDS, () => fetched('image/records.log'))
    .file(FETCHED_PAGES, () => fetched('image/pages.img'))
    // The tree's memory on b fills in its RESTORE stage: it shows how long that stage runs.
    .size('the tree on b (RSS)', () => {
      if (!watch.moments.has('b took the job')) return undefined;
      restored ??= c.b.outerPid(pid);
      return restored === undefined ? undefined : (statusKiB(restored, 'VmRSS') ?? 0) * 1024;
    })
    .when('dumper started', () => dumper() !== undefined)
    .when('frozen', () => readStat(pid)?.state === 't')
    .when('committed', () => fs.existsSync(inStore('index.json') ?? ''))
    .when('b took the job', () => fetched('') !== undefined)
    .when('source gone', () => gone(pid));
  // Killed once b runs it, resumed if b does not.
  watch.when('the tree on a leaves its freeze (killed, or resumed)', () => watch.moments.has('frozen') && readStat(pid)?.state !== 't').start();
  const presenceB = new Renewals(redisConfig(c.redis.url).options, agentKey('b')).start();
  const t0 = performance.now();
  const child = spawn(process.execPath, [ferryBin, 'migrate', '--pid', String(pid), '--from', 'a', '--to', 'b', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...c.env } });
  client = child.pid;
  const progress = new Lines(child.stdout!);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  watch.stop();
  await presenceB.stop();
  const last = progress.lines.at(-1)?.line ?? '';
  const report = last.startsWith('{') ? JSON.parse(last) as MigrationReport & { event: string } : undefined;
  if (code !== 0 || report?.event !== 'migrated') return { watch, t0, progress, presenceB, failure: `ferry migrate failed (exit ${code}): ${stderr.trim() || last}` };
  return { report, watch, t0, progress, presenceB };
}

/** Agent b renews its presence every second: a longer gap is worth a line of the timeline. */
const PRESENCE_GAP_MS = 1500;

/** Everything seen during the migration, in order, from the start of `ferry migrate` (for a failed one above all). */
function printTimeline(m: Migration, c: BenchCluster): void {
  const events: [number, string][] = [];
  for (const [name, t] of m.watch.moments) events.push([t, name]);
  for (const [name, g] of m.watch.growth) {
    // A file moved in whole (b's pages into its fetch directory) is seen once, at its full size.
    if (g.first !== undefined && g.first === g.last) events.push([g.first, `${name}: there at once, ${sizeOf(g.bytes)}`]);
    else {
      if (g.first !== undefined) events.push([g.first, `${name}: first bytes`]);
      if (g.last !== undefined) events.push([g.last, `${name}: last growth, ${sizeOf(g.bytes)}`]);
    }
  }
  const interesting = /^(dumped|pid \d+: \d+ bytes of pages|stage |restored )/;
  for (const { t, msg } of c.saidA.messages(m.t0)) if (interesting.test(msg)) events.push([t, `a: ${msg}`]);
  for (const { t, msg } of c.saidB.messages(m.t0)) if (interesting.test(msg)) events.push([t, `b: ${msg}`]);
  for (const { t, line } of [...c.saidA.lines, ...c.saidB.lines]) if (t >= m.t0 && !line.startsWith('{')) events.push([t, line]);
  let phase = '';
  for (const { t, line } of m.progress.lines) {
    const p = JSON.parse(line) as { phase?: string; stage?: string; event: string };
    const now = `${p.event} ${p.phase ?? ''} ${p.stage ?? ''}`.trim();
    if (now !== phase) events.push([t, `migrate --json: ${now}`]);
    phase = now;
  }
  const renewed = [m.t0, ...m.presenceB.at.filter((t) => t > m.t0)];
  for (let i = 1; i < renewed.length; i++) {
    if (renewed[i]! - renewed[i - 1]! > PRESENCE_GAP_MS) events.push([renewed[i - 1]!, `agent b's presence key not renewed for ${ms0(renewed[i]! - renewed[i - 1]!)} ms (renewed every second from its event loop)`]);
  }
  const expired = m.presenceB.expiredAt;
  if (expired !== undefined) events.push([expired, `agent b's presence key expired, ${ms0(expired - Math.max(...renewed.filter((t) => t < expired)))} ms after its last renewal`]);
  events.sort((x, y) => x[0] - y[0]);
  console.log(table(['ms', 'SEEN (from the start of ferry migrate)'], events.map(([t, what]) => [ms0(t - m.t0), what])));
}

interface HereRuns {
  /** A fresh workload of the migrated one's size dumped here, to a local directory on tmpfs: the dumper without the network. */
  dump: Stats;
  /** Its image restored here with the local barrier, twice, and with the BullMQ one once. */
  local: Stats[];
  bull: Stats;
}

/**
 * The same workload here, once the migrated tree is gone from a and b (PID_THERE: its pid on b, if
 * it runs there): a fresh process of MIB MiB started as the migrated one was, dumped with `ferry
 * dump -D`, and its image restored here (local barrier, BullMQ, local again). Not the migrated
 * checkpoint: the store holds its records only, its pages went to b.
 */
async function sameWorkloadHere(work: string, c: BenchCluster, hold: string, mib: number, pidThere: number | undefined, pid: number, ours: Set<number>): Promise<HereRuns> {
  const there = pidThere === undefined ? undefined : c.b.outerPid(pidThere);
  if (there !== undefined) killPids([there]);
  // After a failed migration b goes on building its copy until it learns that a took the tree back.
  await waitUntil('nothing of the tree left on b', () => c.b.outerPid(pid) === undefined, 60_000);
  killPids([pid]);
  await pidsFreed([pid]);
  const fresh = await startWorkload(work, hold, [String(mib)]);
  ours.add(fresh);
  const image = path.join(work, 'image-here');
  try {
    const dump = ferry(work, ['dump', '-t', String(fresh), '-D', image]);
    await pidsFreed([fresh]);
    // The restore takes the dumped pid back; it is ended by that pid between runs.
    const restoreHere = async (args: string[] = []) => {
      const r = ferry(work, ['restore', '-D', image, '-d', '-v', ...args]);
      ours.add(r.pid);
      killPids([r.pid]);
      await pidsFreed([r.pid]);
      return r;
    };
    const local = [await restoreHere()];
    const bull = await restoreHere(['--stages', 'bullmq', '--redis', c.redis.url]);
    local.push(await restoreHere());
    return { dump, local, bull };
  } finally {
    fs.rmSync(image, { recursive: true, force: true });
  }
}

const gbs = (rate: number) => `${(rate / GB).toFixed(3)} GB/s`;
const sizeOf = (bytes: number) => (bytes >= 1048576 ? `${(bytes / 1048576).toFixed(0)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);
const ms0 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '?' : x.toFixed(0));
const ms1 = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '?' : x.toFixed(1));
const rateOf = (bytes: number, from?: number, to?: number) => (from !== undefined && to !== undefined && to > from ? bytes / ((to - from) / 1000) : NaN);

interface Baselines { tcpC: Transfer; tcpNode: Transfer; nats: Transfer; criu: CriuPageServer | Error | undefined; memory: MemoryRates }

/** The moments the phases of the downtime run between, from the watch and the agents' lines. */
interface Moments {
  freezeAt: number;
  /** The dumper's summary: frozen ms, as it kills (or resumes) the source. */
  dumped?: { t: number; frozenMs: number };
  pagesStep?: { bytes: number; ms: number };
  /** Where the pages were seen arriving: at agent b, or at the image server (the fallback); undefined if nowhere. */
  pagesAt?: 'b' | 'server';
  /** Their arrival there: first and last growth, and its size then. */
  pages: Growth;
  committed?: number;
  took?: number;
  /** b's fetch directory holds the whole image: the pages moved in (or, in the fallback, their last byte fetched). */
  fetched?: number;
  /** The first stage on b starts: the image is loaded. */
  loaded?: number;
  /** COMPLETE ends on b: the tree runs there. */
  running?: number;
}

function momentsOf(m: Migration, c: BenchCluster, onB: Map<string, StageTime>): Moments {
  const { watch } = m;
  const dumped = c.saidA.find(/^dumped \d+ processes from pid \d+ in ([\d.]+) ms/, m.t0);
  const pagesStep = c.saidA.find(/^pid \d+: (\d+) bytes of pages in ([\d.]+) ms$/, m.t0);
  const atB = watch.growth.get(PAGES_AT_B)!;
  const atServer = watch.growth.get(PAGES_AT_SERVER)!;
  const pagesAt = atB.bytes > 0 ? 'b' : atServer.bytes > 0 ? 'server' : undefined;
  const ns = onB.get('RESTORE_NS');
  return {
    // The dumper's own clock: its summary line arrives as it ends the hold; the freeze was frozenMs before.
    freezeAt: dumped ? dumped.t - Number(dumped.m[1]) : watch.moments.get('frozen') ?? NaN,
    dumped: dumped && { t: dumped.t, frozenMs: Number(dumped.m[1]) },
    pagesStep: pagesStep && { bytes: Number(pagesStep.m[1]), ms: Number(pagesStep.m[2]) },
    pagesAt,
    pages: pagesAt === 'server' ? atServer : atB,
    committed: watch.moments.get('committed'),
    took: watch.moments.get('b took the job'),
    fetched: watch.growth.get(FETCHED_PAGES)!.last,
    loaded: ns?.t !== undefined ? ns.t - ns.ms : undefined,
    running: onB.get('COMPLETE')?.t,
  };
}

/** Where the pages went, as the watch saw it; the server's index and the report say it too. */
function pagesWhere(t: Moments): string {
  return t.pagesAt === 'b' ? 'agent b' : t.pagesAt === 'server' ? 'the image server (fallback)' : 'nowhere seen';
}

function printThroughput(r: MigrationReport | undefined, base: Baselines, t: Moments): void {
  const streamRate = rateOf(t.pages.bytes, t.pages.first, t.pages.last);
  const criu = base.criu instanceof Error || base.criu === undefined ? undefined : base.criu;
  const criuWhy = base.criu instanceof Error ? `failed: ${base.criu.message.split('\n')[0]}` : 'no CRIU 4 here';
  const ratio = (x: number, of: number) => (Number.isNaN(x) ? '?' : `${(x / of).toFixed(2)}x`);
  const row = (name: string, x: number) => [name, Number.isNaN(x) ? '?' : (x / GB).toFixed(3), criu ? ratio(x, criu.rate) : '-', ratio(x, CRIU_QUOTED), ratio(x, base.tcpC.rate), ratio(x, base.tcpNode.rate)];
  console.log(table(['PAGE THROUGHPUT', 'GB/s', 'vs CRIU PAGE SERVER (this run)', 'vs 1.05 GB/s (CRIU, QUOTED BY THE ISSUE)', 'vs RAW TCP, C', 'vs RAW TCP, NODE'], [
    row('ferry migrate pageRate (report: the dumper copying pages out, frozen)', r?.pageRate ?? NaN),
    row(`ferry page stream (first to last byte at ${pagesWhere(t)})`, streamRate),
    ['CRIU page server, this run', criu ? (criu.rate / GB).toFixed(3) : `- (${criuWhy})`],
    ['raw TCP over loopback, C read/write, two processes', (base.tcpC.rate / GB).toFixed(3)],
    ['raw TCP over loopback, two node processes', (base.tcpNode.rate / GB).toFixed(3)],
    ['NATS request/reply, fetch pattern (8 x 1008 KiB out)', (base.nats.rate / GB).toFixed(3)],
  ]));
  const against = criu ? `CRIU's page server measured in this run (${gbs(criu.rate)})` : `the 1.05 GB/s the issue quotes for CRIU (CRIU ${criuWhy}: not measured here)`;
  const target = PAGE_TARGET * (criu?.rate ?? CRIU_QUOTED);
  const got = r?.pageRate ?? streamRate;
  console.log(`target: page throughput >= ${PAGE_TARGET}x ${against} = ${gbs(target)}: ${got >= target ? 'met' : 'MISSED'} (${gbs(got)})`);
}

/** Where the downtime went, from the freeze on a to the source's end, phase by phase. */
function printDowntime(m: Migration, t: Moments, onB: Map<string, StageTime>): void {
  const r = m.report;
  const records = m.watch.growth.get(FETCHED_RECORDS)!;
  const fetchedPages = m.watch.growth.get(FETCHED_PAGES)!;
  const rate = (bytes: number, from?: number, to?: number) => (Number.isNaN(rateOf(bytes, from, to)) ? '' : gbs(rateOf(bytes, from, to)));
  const stages = [...onB.entries()];
  const stagesMs = r ? Object.values(r.stageMs).reduce((n, x) => n + x, 0) : stages.reduce((n, [, s]) => n + s.ms, 0);
  const atServer = t.pagesAt === 'server';
  const where = atServer ? 'at the image server (fallback)' : 'at b';
  const rows: string[][] = [
    [`freeze -> first page byte ${where}`, ms0((t.pages.first ?? NaN) - t.freezeAt), '', 'tree frozen; attributes, files, mappings; first run of pages'],
    [`pages streaming (first -> last byte written ${where})`, ms0((t.pages.last ?? NaN) - (t.pages.first ?? NaN)), rate(t.pages.bytes, t.pages.first, t.pages.last),
      `the dumper's page step: ${t.pagesStep ? `${ms0(t.pagesStep.ms)} ms, ${rate(t.pagesStep.bytes, 0, t.pagesStep.ms)}` : '?'}`],
    [`last page byte ${where} -> commit stored`, ms0((t.committed ?? NaN) - (t.pages.last ?? NaN)), '',
      atServer ? 'server: page digests checked, fsync, index.json' : 'the last page acks from b; server: records checked, fsync, index.json (b\'s restore checks the pages)'],
    ['commit stored -> b takes the restore job', ms0((t.took ?? NaN) - (t.committed ?? NaN)), '', 'commit acked to a, restore job queued and taken through Redis'],
    atServer
      ? ['b fetches the checkpoint (records over NATS, pages over the server\'s page stream)', ms0((t.fetched ?? NaN) - (t.took ?? NaN)), rate(fetchedPages.bytes, fetchedPages.first, fetchedPages.last), 'from the image server into b\'s fetch directory']
      : ['b fetches the records (NATS); the pages file is moved', ms0((t.fetched ?? NaN) - (t.took ?? NaN)), '', `${sizeOf(records.bytes)} of records from the image server; incoming-pages/ID.pages renamed to image/pages.img`],
    ['fetched -> first stage on b', ms0((t.loaded ?? NaN) - (t.fetched ?? NaN)), '', 'records loaded and checked, plan, pids checked (the page crcs are checked on another thread during the stages)'],
    [`stages on b (sum${r ? ' of stageMs' : ' of those logged'})`, ms0(stagesMs), '', (r ? Object.entries(r.stageMs) : stages.map(([s, x]) => [s, x.ms] as const)).map(([s, x]) => `${s} ${x.toFixed(0)}`).join(', ')],
    [r ? 'running on b -> source killed on a' : 'last stage logged on b -> source released on a', ms0((t.dumped?.t ?? NaN) - (t.running ?? stages.at(-1)?.[1].t ?? NaN)), '', r ? 'restore job completes, a hears it through Redis, kills the tree' : 'a gave up: the tree runs on a'],
  ];
  const sum = rows.reduce((n, row) => n + (Number(row[1]) || 0), 0);
  rows.push(['sum of the phases', ms0(sum), '', `the dumper's frozen time: ${ms0(t.dumped?.frozenMs)} ms`]);
  console.log(table(['DOWNTIME, PHASE BY PHASE', 'ms', 'RATE', 'WHAT'], rows));
  if (r) console.log(`freeze -> running on b (COMPLETE on b): ${ms0((t.running ?? NaN) - t.freezeAt)} ms; freeze -> a hears b runs it (report's downtimeMs): ${r.downtimeMs} ms; freeze -> source killed on a (sourceFrozenMs): ${r.sourceFrozenMs} ms; total ${r.totalMs} ms`);
  console.log(`before the freeze (not downtime): ferry migrate started -> dumper running ${ms0((m.watch.moments.get('dumper started') ?? NaN) - m.t0)} ms, -> tree frozen ${ms0(t.freezeAt - m.t0)} ms`);
}

/** What each process spent of a CPU during each phase: who is busy while the pages move. */
function printCpu(m: Migration, t: Moments): void {
  const windows: [string, number | undefined, number | undefined][] = [
    [t.pagesAt === 'server' ? 'STREAMING TO THE SERVER' : 'STREAMING TO b', t.pages.first, t.pages.last],
    ['COMMIT', t.pages.last, t.committed],
    [t.pagesAt === 'server' ? 'FETCH' : 'FETCH RECORDS, MOVE PAGES', t.took, t.fetched],
    ['LOAD + STAGES ON b', t.fetched, t.running ?? t.dumped?.t],
  ];
  const rows = [...m.watch.peaks.entries()].map(([role, p]) => [role, ...windows.map(([, from, to]) =>
    from === undefined || to === undefined || to <= from ? '?' : `${((cpuBetween(p, from, to) / (to - from)) * 100).toFixed(0)}%`)]);
  console.log(table(['CPU, % OF ONE CORE', ...windows.map(([name, from, to]) => `${name} (${ms0((to ?? NaN) - (from ?? NaN))} ms)`)], rows));
}

interface Alone { server: ImageServerAlone; cpu: Watch }

/** Image server alone, with what it and the sender (this process) spent of a CPU meanwhile. */
async function imageServerAloneWatched(work: string, c: BenchCluster, bytes: number): Promise<Alone> {
  const cpu = new Watch().process('image server', () => c.imageServer.pid).process('sender (this bench, the sink the dumper uses)', () => process.pid)
    .process('nats-server', c.natsPid).start();
  const server = await imageServerAlone(work, c.env, bytes);
  cpu.stop();
  return { server, cpu };
}

/** Each part of the path the pages take, alone and in the migration, as rates over the same bytes. */
function printParts(m: Migration, t: Moments, base: Baselines, alone: Alone, here: HereRuns | undefined): void {
  const fetched = m.watch.growth.get(FETCHED_PAGES)!;
  const rss = m.watch.growth.get('the tree on b (RSS)')!;
  const busy = (role: string, from: number, to: number) => {
    const p = alone.cpu.peaks.get(role)!;
    return `${((cpuBetween(p, from, to) / (to - from)) * 100).toFixed(0)}%`;
  };
  const a = alone.server.at;
  const rate = (x: number) => (Number.isNaN(x) ? '?' : (x / GB).toFixed(3));
  const restoreMs = here ? Math.min(...here.local.map((s) => s.ms)) : NaN;
  const mem = base.memory;
  const atServer = t.pagesAt === 'server';
  const sender = 'sender (this bench, the sink the dumper uses)';
  const rows = [
    ['memory: tmpfs write, after 5 s idle / at once again', `${rate(mem.tmpfsCold)} / ${rate(mem.tmpfsWarm)}`, atServer ? 'the store\'s file and b\'s fetched copy take new memory' : 'b\'s incoming pages file takes new memory'],
    ['memory: first touch, after 5 s idle / at once again (firsttouch.c)', `${rate(mem.touchCold)} / ${rate(mem.touchWarm)}`, `so does the tree's memory on b, right after the ${atServer ? 'fetch' : 'pages file'} took some`],
    ['raw TCP, C -> C', rate(base.tcpC.rate), ''],
    ['raw TCP, node -> node', rate(base.tcpNode.rate), ''],
    ['dumper alone: ferry dump -D of the same workload here to tmpfs (frozen time)', rate(here ? here.dump.pageBytes / (here.dump.ms / 1000) : NaN), 'reads the task\'s memory (process_vm_readv), crc32, writes a file (warm memory)'],
    ['image server alone: pages from memory over the page stream, stored', rate(alone.server.stream.rate), `CPU: image server ${busy('image server', a.start, a.sent)}, sender ${busy(sender, a.start, a.sent)}`],
    [`migration: dumper -> page stream -> ${atServer ? 'image server (fallback)' : 'agent b'} (first to last byte)`, rate(rateOf(t.pages.bytes, t.pages.first, t.pages.last)), `see CPU, ${atServer ? 'STREAMING TO THE SERVER' : 'STREAMING TO b'}`],
    ['image server alone: commit (digests, fsync) ms', ms0(alone.server.commitMs), `migration: ${ms0((t.committed ?? NaN) - (t.pages.last ?? NaN))} ms${atServer ? '' : ' (records only: b\'s restore checks the page digests)'}`],
    ['NATS request/reply, fetch pattern, from memory', rate(base.nats.rate), 'what a fetch of pages over NATS would be held to'],
    ['image server alone: fetched back (records over NATS, pages over its page stream) into tmpfs', rate(alone.server.fetch.rate), `CPU: image server ${busy('image server', a.committed, a.fetched)}, nats-server ${busy('nats-server', a.committed, a.fetched)}, fetcher ${busy(sender, a.committed, a.fetched)}`],
    atServer
      ? ['migration: b fetches (first to last byte)', rate(rateOf(fetched.bytes, fetched.first, fetched.last)), 'see CPU, FETCH']
      : ['migration: b fetches the records and moves the pages file, ms', ms0((t.fetched ?? NaN) - (t.took ?? NaN)), 'no page crosses again: see CPU, FETCH RECORDS, MOVE PAGES'],
    ['migration: the tree\'s memory filling on b (its RSS)', rate(rateOf(rss.bytes, rss.first, rss.last)), `${sizeOf(rss.bytes)} in ${ms0((rss.last ?? NaN) - (rss.first ?? NaN))} ms`],
    ['restore alone: ferry restore -D of the same workload\'s image here (local barrier, warm memory)', rate(here ? here.dump.pageBytes / (restoreMs / 1000) : NaN), `${ms0(restoreMs)} ms, into memory freed a moment before`],
  ];
  console.log(table(['WHERE THE PAGES GO, PART BY PART', 'GB/s', ''], rows));
}

const RSS_TARGET_MIB = 150;
/** Who does in the migration what CRIU's page server or its dump does in the baseline, for their peaks side by side. */
const CRIU_COUNTERPART: Record<string, 'dump' | 'page server'> = {
  'migrate-source (a\'s dumper)': 'dump',
  'image server': 'page server',
  'agent b (page stream, fetch, restore)': 'page server',
};

function printPeaks(watch: Watch, criu: Baselines['criu'], here?: HereRuns): void {
  const measured = criu instanceof Error || criu === undefined ? undefined : criu;
  const peakOf = { 'dump': measured?.dumpPeakKiB, 'page server': measured?.serverPeakKiB };
  const vsTarget = (kib: number) => `${kib / 1024 < RSS_TARGET_MIB ? 'met' : 'MISSED'} (target < ${RSS_TARGET_MIB} MiB)`;
  const vsCriu = (role: string, kib: number) => {
    const counterpart = CRIU_COUNTERPART[role];
    const theirs = counterpart && peakOf[counterpart];
    return theirs ? `${(kib / theirs).toFixed(2)}x criu ${counterpart}` : '-';
  };
  // nats-server and redis-server are not ferry's: their peaks are shown, not held to the target.
  const ours = (role: string) => !/^(nats|redis)-server$/.test(role);
  const rows = [...watch.peaks.entries()].map(([role, p]) => [role, p.kib ? String(Math.round(p.kib / 1024)) : '?', (cpuUsed(p) / 1000).toFixed(2),
    ours(role) && p.kib ? vsTarget(p.kib) : '-', p.kib ? vsCriu(role, p.kib) : '-']);
  if (measured) {
    rows.push(['criu dump --page-server (the CRIU baseline, same size, this run)', String(Math.round(measured.dumpPeakKiB / 1024)), '', '', '']);
    rows.push(['criu page-server (the CRIU baseline, this run)', String(Math.round(measured.serverPeakKiB / 1024)), '', '', '']);
  } else rows.push([`CRIU: not measured in this run (${criu instanceof Error ? `failed: ${criu.message.split('\n')[0]}` : 'no CRIU 4 here'})`, '', '', '', '']);
  if (here) {
    rows.push(['ferry restore -D here (local barrier), for comparison', String(Math.round(Math.max(...here.local.map((s) => s.peakRssKiB)) / 1024)), '', '', '']);
    rows.push(['ferry dump -D here (tmpfs), for comparison', String(Math.round(here.dump.peakRssKiB / 1024)), '', '', '']);
  }
  console.log(table(['PROCESS', 'PEAK RSS MiB (VmHWM; CRIU: ru_maxrss)', 'CPU s WHILE WATCHED', 'VS TARGET', 'VS CRIU (THIS RUN)'], rows));
}

function printBarriers(onB: Map<string, StageTime>, here: HereRuns): void {
  const locals = here.local.map((s) => stagesOf(stderrMessages(s.stderr)));
  const bullHere = stagesOf(stderrMessages(here.bull.stderr));
  const stages: string[] = [...STAGES];
  // RESTORE fills the pages: its length is the memory's (cold on b, warm here), not the barrier's.
  const light = stages.filter((s) => s !== 'RESTORE');
  const mean = (xs: number[]) => xs.reduce((n, x) => n + x, 0) / xs.length;
  const localMean = (stage: string) => mean(locals.map((l) => l.get(stage)?.ms ?? NaN));
  const sum = (of: string[], f: (stage: string) => number | undefined) => of.reduce((n, s) => n + (f(s) ?? NaN), 0);
  const row = (name: string, f: (stage: string) => number | undefined) => [name, ...stages.map((s) => ms1(f(s))), ms1(sum(stages, f)), ms1(sum(light, f))];
  const flowsOnB = (s: string) => (onB.get(s)?.ms ?? NaN) - localMean(s);
  const rows = [
    row('on b, bullmq: stage ms', (s) => onB.get(s)?.ms),
    row('on b, bullmq: barrier ms', (s) => onB.get(s)?.barrierMs),
    row('on b: minus local (the flows\' whole cost)', flowsOnB),
    row('here, bullmq: stage ms', (s) => bullHere.get(s)?.ms),
    row('here, bullmq: barrier ms', (s) => bullHere.get(s)?.barrierMs),
    row('here: bullmq minus local (the flows\' whole cost)', (s) => (bullHere.get(s)?.ms ?? NaN) - localMean(s)),
    ...locals.map((l, i) => row(`here, local barrier, run ${i + 1}: stage ms`, (s) => l.get(s)?.ms)),
  ];
  console.log(table(['STAGES: THE MIGRATION ON b, THE SAME WORKLOAD HERE', ...stages, 'ALL', 'ALL BUT RESTORE'], rows));
  console.log('barrier ms: from the stage\'s last participant finishing to its parent job running, the barrier passed (BullStages\' barrierMs, as bench/barriers.ts reports it).');
  console.log('minus local: the stage through BullMQ flows minus the same stage through the local barrier (mean of the local runs): the flows\' whole cost,');
  console.log(`  child jobs' pickup included. RESTORE is left out of the last sum: its length is the page fill's, which runs into cold memory on b and into`);
  console.log(`  memory freed a moment before here; the two local runs differ by ${ms1(Math.abs(sum(stages, (s) => locals[0]!.get(s)?.ms) - sum(stages, (s) => locals[1]!.get(s)?.ms)))} ms in all.`);
  const verdict = (x: number) => (Number.isNaN(x) ? 'not measured (the migration did not get through every stage)' : `${ms1(x)} ms, ${x < BARRIER_TARGET_MS ? 'met' : 'MISSED'}`);
  console.log(`target: < ${BARRIER_TARGET_MS} ms of barrier overhead in the whole downtime: on b, barrier ${verdict(sum(stages, (s) => onB.get(s)?.barrierMs))}; ` +
    `the flows' whole cost on b, all stages but RESTORE, ${verdict(sum(light, flowsOnB))}`);
}

function storedCheckpoint(store: string): string | undefined {
  return fs.readdirSync(store).find((n) => fs.existsSync(path.join(store, n, 'index.json')));
}

/** What the image server's index says of a checkpoint's pages. */
function heldBy(store: string, checkpointId: string): string {
  try {
    const index = JSON.parse(fs.readFileSync(path.join(store, checkpointId, 'index.json'), 'utf8')) as { pagesHeldBy?: string; pageBytes: number; size: number };
    return index.pagesHeldBy ? `pagesHeldBy ${index.pagesHeldBy}, ${sizeOf(index.size)} stored of a checkpoint with ${sizeOf(index.pageBytes)} of pages` : `pages stored there (${sizeOf(index.pageBytes)})`;
  } catch (e) {
    return `unreadable (${(e as Error).message})`;
  }
}

const WARM_UP_MIB = 4;

/**
 * A small migration first, so that the one measured finds its agents as a long-running agent is:
 * connections open, BullMQ's scripts loaded in Redis, code compiled. Its stage and barrier times
 * are printed as those of a cold agent b. Nothing of it stays: its copy on b is killed, its
 * checkpoint deleted.
 */
async function warmUp(work: string, c: BenchCluster, hold: string, ours: Set<number>): Promise<void> {
  const pid = await startWorkload(work, hold, [String(WARM_UP_MIB)]);
  ours.add(pid);
  const m = await migrateWatched(c, pid);
  if (!m.report) throw new Error(`bench migrate: the warm-up migration of ${WARM_UP_MIB} MiB failed: ${m.failure}`);
  const r = m.report;
  const onB = stagesOf(c.saidB.messages(m.t0));
  const barrier = [...onB.values()].reduce((n, x) => n + (x.barrierMs ?? 0), 0);
  console.log(`warm-up, ${WARM_UP_MIB} MiB with agents fresh from their start (cold): downtime ${r.downtimeMs} ms; stages on b ${Object.values(r.stageMs).reduce((n, x) => n + x, 0).toFixed(1)} ms, ` +
    `of it barrier ${barrier.toFixed(1)} ms (${[...onB.entries()].map(([stage, x]) => `${stage} ${ms1(x.barrierMs)}`).join(', ')})`);
  const there = c.b.outerPid(r.pidThere);
  if (there !== undefined) killPids([there]);
  await pidsFreed([pid, ...(there === undefined ? [] : [there])]);
  const nc = await connectNats(natsConfig({}, c.env), { name: 'bench warm-up' });
  await deleteCheckpoint(nc, r.checkpointId).finally(() => nc.close());
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

export async function benchMigrate(): Promise<void> {
  const mib = sizeMiB();
  const bytes = mib * 1048576;
  const work = newWorkDir();
  const ours = new Set<number>();
  let cluster: BenchCluster | undefined;
  try {
    console.log(`\nmigrate part: ${mib} MiB from a to b over loopback; load average at the start ${load()} (${os.cpus().length} cores)`);
    const hold = compile(work, 'hold');
    // Transport baselines first, while nothing else of ours runs.
    const base: Baselines = {
      memory: await memoryRates(work, compile(work, 'firsttouch'), mib),
      tcpC: await tcpC(work, bytes), tcpNode: await tcpNode(bytes), nats: { bytes: 0, ms: 0, rate: NaN }, criu: await criuPageServer(work, hold, compile(work, 'peak-rss'), mib).catch((e: Error) => e),
    };
    cluster = await startBenchCluster(work);
    base.nats = await natsFetchPattern(cluster.env, bytes);
    await warmUp(work, cluster, hold, ours);
    const pid = await startWorkload(work, hold, [String(mib)]);
    ours.add(pid);
    const m = await migrateWatched(cluster, pid);
    const r = m.report;
    const onB = stagesOf(cluster.saidB.messages(m.t0));
    const t = momentsOf(m, cluster, onB);
    console.log(r
      ? `ferry migrate: total ${r.totalMs} ms, downtime ${r.downtimeMs} ms, ${(r.pageBytes / 1048576).toFixed(0)} MiB of pages at ${gbs(r.pageRate)}, stages on b ${Object.entries(r.stageMs).map(([s, x]) => `${s} ${x.toFixed(1)}`).join(', ')} ms`
      : `FAILED: ${m.failure}`);
    const checkpointId = r?.checkpointId ?? storedCheckpoint(cluster.store);
    console.log(`the pages went to ${pagesWhere(t)} (${sizeOf(t.pages.bytes)} seen arriving there); the report says: ${r?.pagesVia ?? '-'}; ` +
      `the image server's index: ${checkpointId ? heldBy(cluster.store, checkpointId) : 'no checkpoint stored'}; agent b's page stream ${cluster.pageStreamB ? `on ${cluster.pageStreamB}` : 'not offered'}`);
    console.log('\nwhat was seen:');
    printTimeline(m, cluster);
    let here: HereRuns | undefined;
    try {
      here = await sameWorkloadHere(work, cluster, hold, mib, r?.pidThere, pid, ours);
    } catch (e) {
      // The migration's own figures below are worth having without these.
      console.error(`bench migrate: the same workload here failed: ${(e as Error).message}`);
      process.exitCode = 1;
    }
    const alone = await imageServerAloneWatched(work, cluster, bytes);
    console.log();
    printThroughput(r, base, t);
    console.log();
    printDowntime(m, t, onB);
    console.log();
    printCpu(m, t);
    console.log();
    printParts(m, t, base, alone, here);
    console.log();
    if (here) {
      printBarriers(onB, here);
      console.log();
    }
    printPeaks(m.watch, base.criu, here);
    if (here) {
      const restoreMs = Math.min(...here.local.map((s) => s.ms));
      const restoreStage = Math.min(...here.local.map((s) => stagesOf(stderrMessages(s.stderr)).get('RESTORE')?.ms ?? NaN));
      console.log(`\nthe same workload here (a fresh ${mib} MiB process): ferry dump -D to tmpfs ${ms0(here.dump.ms)} ms frozen (${gbs(here.dump.pageBytes / (here.dump.ms / 1000))}); ` +
        `ferry restore -D of that image (local barrier) ${ms0(restoreMs)} ms (${gbs(here.dump.pageBytes / (restoreMs / 1000))}), its RESTORE stage ${ms0(restoreStage)} ms`);
    }
    console.log(`images on tmpfs (${work}), b ${t.pagesAt === 'server' ? 'fetches the checkpoint' : 'receives the pages and fetches the records'} into tmpfs (its TMPDIR); Redis keeps an fsynced append-only file in ${path.dirname(cluster.redis.dir)}, as the test harness starts it; load average at the end ${load()}`);
    if (!r) {
      // Every figure the failed migration yielded is above; the run still fails.
      console.error(`bench migrate: the migration failed: ${m.failure}`);
      process.exitCode = 1;
    }
  } finally {
    killPids(ours);
    await pidsFreed(ours).catch(() => {});
    await cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
