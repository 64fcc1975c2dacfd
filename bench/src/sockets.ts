// Sockets: a process holding 1,000 connected unix socket pairs and 100 established TCP connections
// to a peer outside the tree, 64 KiB queued each way on every connection, dumped and restored with
// --tcp-established by ferry and by CRIU in the same run, alternating. Each restore must bring back
// every queued byte (the workload checks itself) and the peer must have seen neither FIN nor RST.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { table } from './table.js';
import { newWorkDir, compile, ferry, pidsFreed, killPids } from './run.js';
import { findCriu, runCriu, type Criu } from './criu.js';

const PAIRS = Number(process.env.FERRY_BENCH_UNIX_PAIRS ?? 1000);
const CONNECTIONS = Number(process.env.FERRY_BENCH_TCP_CONNECTIONS ?? 100);
const QUEUED = 64 << 10;
const SOCKETS = 2 * PAIRS + CONNECTIONS;
const RUNS = 3;

interface Started { pid: number; output: string }

async function waitForFile(file: string, what: string, alive: () => boolean): Promise<string> {
  for (let i = 0; i < 1500; i++) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n')) return fs.readFileSync(file, 'utf8').trim();
    if (!alive()) throw new Error(`${what} ended before it was ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what} was not ready after 30 s`);
}

/** BIN ARGS... DIR, in a session of its own, its output appended to DIR/out (so a restore finds the file as it was). */
async function start(work: string, bin: string, args: string[], readyFile: string): Promise<Started & { ready: string }> {
  const dir = fs.mkdtempSync(path.join(work, `${path.basename(bin)}-`));
  const output = path.join(dir, 'out');
  const out = fs.openSync(output, 'a');
  const child = spawn(bin, [...args, dir], { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  const ready = await waitForFile(path.join(dir, readyFile), path.basename(bin), () => child.exitCode === null && child.signalCode === null);
  return { pid: child.pid!, output, ready };
}

async function checked(restored: number, output: string, peer: Started): Promise<void> {
  const before = fs.readFileSync(output, 'utf8').length;
  for (let i = 0; i < 500; i++) {
    // Asked again every half second: a signal sent as CRIU's restore returned was once seen lost.
    if (i % 50 === 0) process.kill(restored, 'SIGUSR1');
    const said = fs.readFileSync(output, 'utf8').slice(before);
    if (said.includes('\n')) {
      if (!said.startsWith('check ok')) throw new Error(`the restored workload: ${said.trim()}`);
      const heard = fs.readFileSync(peer.output, 'utf8').trim();
      if (heard) throw new Error(`the peer outside the tree saw: ${heard.split('\n')[0]}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const state = fs.existsSync(`/proc/${restored}`) ? /State:\s*(.*)/.exec(fs.readFileSync(`/proc/${restored}/status`, 'utf8'))?.[1] : 'gone';
  throw new Error(`the restored workload (pid ${restored}, ${state}) did not answer its check`);
}

interface Round { dumpMs: number; restoreMs: number; frozenMs?: number }

/** How one tool dumps PID into IMAGE and restores it: wall times, ferry's frozen time, the restored pid. */
type Tool = (image: string, pid: number) => { dump: () => { wall: number; frozen?: number }; restore: () => { wall: number; pid: number } };

async function round(work: string, bins: { workload: string; peer: string }, tool: Tool): Promise<Round> {
  const peer = await start(work, bins.peer, [String(CONNECTIONS), String(QUEUED)], 'port');
  const pids = [peer.pid];
  const image = fs.mkdtempSync(path.join(work, 'image-'));
  try {
    const w = await start(work, bins.workload, [String(PAIRS), String(CONNECTIONS), peer.ready, String(QUEUED)], 'ready');
    pids.push(w.pid);
    const t = tool(image, w.pid);
    const d = t.dump();
    await pidsFreed([w.pid]);
    const r = t.restore();
    pids.push(r.pid);
    await checked(r.pid, w.output, peer);
    return { dumpMs: d.wall, frozenMs: d.frozen, restoreMs: r.wall };
  } finally {
    killPids(pids.reverse());
    await pidsFreed(pids);
    fs.rmSync(image, { recursive: true, force: true });
  }
}

const ferryTool = (work: string): Tool => (image, pid) => ({
  dump: () => {
    const d = ferry(work, ['dump', '-t', String(pid), '-D', image, '--tcp-established']);
    return { wall: d.wallMs, frozen: d.ms };
  },
  restore: () => {
    const r = ferry(work, ['restore', '-D', image, '-d', '--tcp-established']);
    return { wall: r.wallMs, pid: r.pid };
  },
});

const criuTool = (criu: Criu): Tool => (image, pid) => ({
  dump: () => ({ wall: runCriu(criu, ['dump', '-t', String(pid), '-D', image, '--tcp-established', '--network-lock', 'nftables'], image) }),
  restore: () => {
    const pidfile = path.join(image, 'restored.pid');
    const wall = runCriu(criu, ['restore', '-D', image, '-d', '--tcp-established', '--network-lock', 'nftables', '--pidfile', pidfile], image);
    return { wall, pid: Number(fs.readFileSync(pidfile, 'utf8')) };
  },
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const perSocket = (ms: number) => `${((ms * 1000) / SOCKETS).toFixed(0)} µs`;

export async function benchSockets(): Promise<void> {
  const work = newWorkDir();
  try {
    const bins = { workload: compile(work, 'sockets'), peer: compile(work, 'sockpeer') };
    const criu = findCriu();
    const ours: Round[] = [], theirs: Round[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await round(work, bins, ferryTool(work)));
      if (typeof criu !== 'string') theirs.push(await round(work, bins, criuTool(criu)));
    }
    const m = (rs: Round[], k: keyof Round) => median(rs.map((r) => r[k] ?? NaN));
    const rows = [['ferry', m(ours, 'dumpMs').toFixed(0), m(ours, 'frozenMs').toFixed(0), perSocket(m(ours, 'dumpMs')), m(ours, 'restoreMs').toFixed(0), perSocket(m(ours, 'restoreMs'))]];
    if (theirs.length) rows.push([`CRIU ${typeof criu === 'string' ? '' : criu.version}`, m(theirs, 'dumpMs').toFixed(0), '-', perSocket(m(theirs, 'dumpMs')), m(theirs, 'restoreMs').toFixed(0), perSocket(m(theirs, 'restoreMs'))]);
    console.log(`sockets: ${PAIRS} unix pairs and ${CONNECTIONS} TCP connections with ${QUEUED >> 10} KiB queued each way (${SOCKETS} sockets), --tcp-established, whole commands, medians of ${RUNS}`);
    console.log(table(['TOOL', 'DUMP ms', 'OF IT FROZEN', 'DUMP PER SOCKET', 'RESTORE ms', 'RESTORE PER SOCKET'], rows));
    if (theirs.length) {
      console.log(`ferry/CRIU: dump ${(m(ours, 'dumpMs') / m(theirs, 'dumpMs')).toFixed(2)}x, restore ${(m(ours, 'restoreMs') / m(theirs, 'restoreMs')).toFixed(2)}x (target: <= 1.0x, no slower than CRIU)`);
    } else console.log(`ferry/CRIU: not measured in this run: ${criu}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
