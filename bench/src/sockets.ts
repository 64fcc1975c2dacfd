// Sockets: a process holding 1,000 connected unix socket pairs and 100 established TCP connections
// to a peer outside the tree, 64 KiB queued each way on every connection, dumped and restored with
// --tcp-established by ferry and by CRIU in the same run, alternating. Each restore must bring back
// every queued byte (the workload checks itself) and the peer must have seen neither FIN nor RST.
import fs from 'node:fs';
import path from 'node:path';
import { table } from './table.js';
import { newWorkDir, compile, pidsFreed, killPids } from './run.js';
import { findCriu } from './criu.js';
import { median } from './median.js';
import { ferryTool, criuTool, type Tool } from './tools.js';
import { startLogged, askForCheck, type Logged } from './logged-workload.js';

const PAIRS = Number(process.env.FERRY_BENCH_UNIX_PAIRS ?? 1000);
const CONNECTIONS = Number(process.env.FERRY_BENCH_TCP_CONNECTIONS ?? 100);
const QUEUED = 64 << 10;
const SOCKETS = 2 * PAIRS + CONNECTIONS;
const RUNS = 3;
/** The same job's options for CRIU, which must also be told how to lock the network meanwhile. */
const CRIU_TCP = ['--tcp-established', '--network-lock', 'nftables'];

/** The restored workload still holds every queued byte, and the peer outside the tree saw neither FIN nor RST. */
async function checked(restored: number, output: string, peer: Logged): Promise<void> {
  await askForCheck(restored, output, (said) => {
    if (!said.includes('\n')) return false;
    if (!said.startsWith('check ok')) throw new Error(`the restored workload: ${said.trim()}`);
    const heard = fs.readFileSync(peer.output, 'utf8').trim();
    if (heard) throw new Error(`the peer outside the tree saw: ${heard.split('\n')[0]}`);
    return true;
  });
}

interface Round { dumpMs: number; restoreMs: number; frozenMs?: number }

async function round(work: string, bins: { workload: string; peer: string }, tool: Tool): Promise<Round> {
  const peer = await startLogged(work, bins.peer, [String(CONNECTIONS), String(QUEUED)], 'port');
  const pids = [peer.pid];
  const image = fs.mkdtempSync(path.join(work, 'image-'));
  try {
    const w = await startLogged(work, bins.workload, [String(PAIRS), String(CONNECTIONS), peer.ready, String(QUEUED)], 'ready');
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

const perSocket = (ms: number) => `${((ms * 1000) / SOCKETS).toFixed(0)} µs`;

export async function benchSockets(): Promise<void> {
  const work = newWorkDir();
  try {
    const bins = { workload: compile(work, 'sockets'), peer: compile(work, 'sockpeer') };
    const criu = findCriu();
    const ours: Round[] = [], theirs: Round[] = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await round(work, bins, ferryTool(work, ['--tcp-established'])));
      if (typeof criu !== 'string') theirs.push(await round(work, bins, criuTool(criu, CRIU_TCP)));
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
