// What the migrate part compares against, measured in the same run over the same loopback: raw TCP
// between two processes (C read/write, the kernel's own limit, and two node processes, the limit of
// a node socket), request/reply over the same NATS in the pattern a fetch uses, and CRIU's page
// server when a CRIU 4 is here (criu.ts). And the image server's part alone: pages streamed to it
// from memory (no dumper, no process to read) and fetched back (no restore), as a migration's pages
// go when the target's agent cannot take them.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { CHUNK_BYTES, connectNats, deleteCheckpoint, fetchCheckpoint, natsConfig, openNatsSink, request } from '@ferry/transport';
import { FERRY_VERSION } from '@ferry/dumper';
import { childrenOf, freePort, waitUntil } from '@ferry/testbed';
import { findCriu, runCriuWithPeak } from './criu.js';
import { startWorkload, pidsFreed, killPids } from './run.js';

const here = path.dirname(new URL(import.meta.url).pathname);
const peer = path.join(here, 'migrate-peer.js');

/** A transfer: bytes in ms, and its rate in bytes per second. */
export interface Transfer { bytes: number; ms: number; rate: number }

const transfer = (bytes: number, ms: number): Transfer => ({ bytes, ms, rate: bytes / (ms / 1000) });

const TCP_C = `
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static char buf[1 << 20];
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
int main(int argc, char **argv) {
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (argc == 2) { /* recv: print the port, read one connection, print bytes and ms */
    if (bind(s, (void *)&a, len) || listen(s, 1) || getsockname(s, (void *)&a, &len)) return 1;
    printf("%d\\n", ntohs(a.sin_port)); fflush(stdout);
    int c = accept(s, 0, 0);
    long long total = 0; double t0 = 0; ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) { if (!total) t0 = now(); total += n; }
    printf("%lld %.3f\\n", total, now() - t0);
    return n < 0;
  }
  /* send PORT BYTES */
  a.sin_port = htons(atoi(argv[1]));
  long long bytes = atoll(argv[2]);
  if (connect(s, (void *)&a, len)) return 1;
  memset(buf, 7, sizeof buf);
  for (long long done = 0; done < bytes; ) {
    ssize_t n = write(s, buf, bytes - done < (long long)sizeof buf ? bytes - done : sizeof buf);
    if (n < 0) return 1;
    done += n;
  }
  return close(s);
}
`;

/** Lines a child says on stdout, one at a time. */
function linesOf(child: ChildProcess): AsyncIterator<string> {
  return readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

async function nextLine(lines: AsyncIterator<string>, what: string): Promise<string> {
  const r = await lines.next();
  if (r.done) throw new Error(`${what} ended without saying anything`);
  return r.value;
}

/** Raw TCP over loopback between two C processes: 1 MiB write(2) and read(2), nothing else. */
export async function tcpC(work: string, bytes: number): Promise<Transfer> {
  const src = path.join(work, 'migrate-tcp.c');
  const bin = path.join(work, 'migrate-tcp');
  fs.writeFileSync(src, TCP_C);
  execFileSync('gcc', ['-O2', '-o', bin, src]);
  const recv = spawn(bin, ['recv'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = linesOf(recv);
    const port = await nextLine(lines, 'the C receiver');
    const sent = spawnSync(bin, [port, String(bytes)]);
    if (sent.status !== 0) throw new Error(`the C sender failed (${sent.status})`);
    const [got, ms] = (await nextLine(lines, 'the C receiver')).split(' ').map(Number);
    if (got !== bytes) throw new Error(`the C receiver got ${got} bytes of ${bytes}`);
    return transfer(got, ms!);
  } finally {
    recv.kill('SIGKILL');
  }
}

/** Raw TCP over loopback between two node processes: 1 MiB socket writes, reads counted only. */
export async function tcpNode(bytes: number): Promise<Transfer> {
  const sink = spawn(process.execPath, [peer, 'tcp-sink'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const lines = linesOf(sink);
    const { port } = JSON.parse(await nextLine(lines, 'the node receiver')) as { port: number };
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const chunk = Buffer.alloc(1 << 20, 7);
    for (let done = 0; done < bytes; done += chunk.length) {
      const piece = bytes - done < chunk.length ? chunk.subarray(0, bytes - done) : chunk;
      if (!socket.write(piece)) await new Promise((resolve) => socket.once('drain', resolve));
    }
    socket.end();
    const got = JSON.parse(await nextLine(lines, 'the node receiver')) as { bytes: number; ms: number };
    socket.destroy();
    if (got.bytes !== bytes) throw new Error(`the node receiver got ${got.bytes} bytes of ${bytes}`);
    return transfer(got.bytes, got.ms);
  } finally {
    sink.kill('SIGKILL');
  }
}

/**
 * Request/reply over NATS as a fetch asks the image server for a checkpoint's records (and for its
 * pages when the server offers no page stream): chunks of CHUNK_BYTES, WINDOW requests out at
 * once, answered from memory by another process (no file read or write).
 */
export async function natsFetchPattern(env: Record<string, string>, bytes: number, window = 8): Promise<Transfer> {
  const subject = `bench.read.${process.pid}`;
  const reader = spawn(process.execPath, [peer, 'nats-reader', subject], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const nc = await connectNats(natsConfig({}, env), { name: 'bench nats fetch' });
  try {
    await nextLine(linesOf(reader), 'the NATS reader');
    const chunks = Math.ceil(bytes / CHUNK_BYTES);
    let next = 0;
    let got = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: window }, async () => {
      while (next < chunks) {
        next++;
        const reply = await request(nc, subject, '{}');
        got += reply.data.length;
      }
    }));
    return transfer(got, performance.now() - t0);
  } finally {
    await nc.close().catch(() => {});
    reader.kill('SIGKILL');
  }
}

/**
 * On this machine (a VM with a balloon device) memory the kernel hands out beyond what was freed a
 * moment ago can cost several times more to touch than memory just freed, and every part of a
 * migration takes new memory (the store's file, b's fetched copy, the tree's memory on b). So
 * both are measured, as far as they can be from here: MIB written to a tmpfs file and touched by
 * bench/workloads/firsttouch.c, each once after COLD_MS of idleness and once again at once.
 */
export interface MemoryRates { tmpfsCold: number; tmpfsWarm: number; touchCold: number; touchWarm: number }

const COLD_MS = 5000;

function tmpfsWrite(work: string, bytes: number): number {
  const file = path.join(work, 'memory-baseline.img');
  const chunk = Buffer.alloc(4 << 20, 7);
  const t = performance.now();
  const fd = fs.openSync(file, 'w');
  for (let done = 0; done < bytes; done += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
  fs.closeSync(fd);
  const rate = bytes / ((performance.now() - t) / 1000);
  fs.rmSync(file);
  return rate;
}

export async function memoryRates(work: string, firstTouch: string, mib: number): Promise<MemoryRates> {
  const idle = () => new Promise((r) => setTimeout(r, COLD_MS));
  const touch = () => Number(execFileSync(firstTouch, [String(mib)], { encoding: 'utf8' })) * 1e9;
  await idle();
  const tmpfsCold = tmpfsWrite(work, mib * 1048576);
  const tmpfsWarm = tmpfsWrite(work, mib * 1048576);
  await idle();
  const touchCold = touch();
  return { tmpfsCold, tmpfsWarm, touchCold, touchWarm: touch() };
}

/** The dumper's page runs are at most this long (RUN_LIMIT of the dumper's pages.ts). */
const RUN_BYTES = 4 << 20;

export interface ImageServerAlone {
  /** putPages of every run returned (at most the page stream's unacked window still in flight). */
  stream: Transfer;
  /** commit: the last acks, the server's page digest check, fsync and index. */
  commitMs: number;
  /** fetchCheckpoint of the same checkpoint into a tmpfs directory. */
  fetch: Transfer;
  /** performance.now() at the start, once every run was sent, committed, fetched. */
  at: { start: number; sent: number; committed: number; fetched: number };
}

/**
 * The image server's share of a migration without a dumper or a restore: BYTES of pages from one
 * buffer in memory, in the dumper's 4 MiB runs, through the same sink the dumper uses (TCP page
 * stream, records over NATS), committed, then fetched back as agent b fetches; deleted afterwards.
 */
export async function imageServerAlone(work: string, env: Record<string, string>, bytes: number): Promise<ImageServerAlone> {
  const nc = await connectNats(natsConfig({}, env), { name: 'bench image server alone' });
  const into = path.join(work, 'fetched-alone');
  try {
    const sink = await openNatsSink(nc, {
      formatVersion: 1, host: os.hostname(), kernel: os.release(), rootPid: 1, createdMs: BigInt(Date.now()),
      ferryVersion: FERRY_VERSION, pageSize: 4096, arch: process.arch === 'x64' ? 'x86_64' : process.arch,
    }, { workload: 'bench-image-server-alone' });
    const run = Buffer.alloc(RUN_BYTES, 7);
    const t0 = performance.now();
    for (let done = 0; done < bytes; done += run.length) await sink.putPages(1, 0x10000000n + BigInt(done), run.subarray(0, Math.min(run.length, bytes - done)));
    const sent = performance.now();
    await sink.commit();
    const committed = performance.now();
    await fetchCheckpoint(nc, sink.checkpointId, into);
    const fetched = performance.now();
    await deleteCheckpoint(nc, sink.checkpointId);
    return { stream: transfer(bytes, sent - t0), commitMs: committed - sent, fetch: transfer(bytes, fetched - committed), at: { start: t0, sent, committed, fetched } };
  } finally {
    fs.rmSync(into, { recursive: true, force: true });
    await nc.close().catch(() => {});
  }
}

/** Whether something listens on TCP PORT of this host (from /proc/net/tcp, without connecting). */
function listening(port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1]?.endsWith(hex) && f[3] === '0A';
  });
}

/** CRIU's page server and its dump beside it: the transfer, and each one's peak RSS in KiB (ru_maxrss). */
export type CriuPageServer = Transfer & { serverPeakKiB: number; dumpPeakKiB: number };

/**
 * CRIU's page server over loopback, if a CRIU 4 is here (criu.ts): `criu dump` of a HOLD process
 * of MIB touched MiB sending its pages to `criu page-server`, both under PEAK_RSS
 * (peak-rss.c); the page bytes the server stored over the wall time of the dump. Undefined when
 * there is no CRIU.
 */
export async function criuPageServer(work: string, hold: string, peakRss: string, mib: number): Promise<CriuPageServer | undefined> {
  const criu = findCriu();
  if (typeof criu === 'string') return undefined;
  const port = await freePort();
  const served = path.join(work, 'criu-pages');
  const dumped = path.join(work, 'criu-dump');
  fs.mkdirSync(served);
  fs.mkdirSync(dumped);
  const serverPeak = path.join(work, 'criu-page-server-peak');
  const server = spawn(peakRss, [serverPeak, criu.bin, 'page-server', '--images-dir', served, '--address', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Its first error says why it could not run.
  let said = '';
  server.stderr!.on('data', (d: Buffer) => (said += d.toString()));
  const why = () => [...said.matchAll(/Error \([^)]*\): (.*)/g)].map((m) => m[1]!).find((e) => !e.startsWith('exited')) ?? said.trim().split('\n')[0] ?? '';
  let pid = 0;
  try {
    // Not probed by connecting: the page server takes the first connection for the dump's.
    while (!listening(port)) {
      if (server.exitCode !== null) {
        await new Promise((r) => setTimeout(r, 50));
        throw new Error(`criu page-server exited ${server.exitCode}: ${why()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    pid = await startWorkload(work, hold, [String(mib)]);
    const t0 = performance.now();
    const dump = runCriuWithPeak(criu, peakRss, ['dump', '-t', String(pid), '--images-dir', dumped, '--page-server', '--address', '127.0.0.1', '--port', String(port)], dumped);
    const ms = performance.now() - t0;
    // It serves the one dump and ends, so that its wrapper can tell its peak.
    await waitUntil('criu page-server ending after the dump', () => server.exitCode !== null, 10_000);
    const bytes = fs.readdirSync(served).filter((f) => f.startsWith('pages-')).reduce((n, f) => n + fs.statSync(path.join(served, f)).size, 0);
    return { ...transfer(bytes, ms), serverPeakKiB: Number(fs.readFileSync(serverPeak, 'utf8')), dumpPeakKiB: dump.peakRssKiB };
  } finally {
    // The wrapper first: the page server it runs would outlive it.
    if (server.exitCode === null) killPids([...childrenOf(server.pid!), server.pid!]);
    if (pid) {
      killPids([pid]);
      await pidsFreed([pid]);
    }
    fs.rmSync(served, { recursive: true, force: true });
    fs.rmSync(dumped, { recursive: true, force: true });
    fs.rmSync(serverPeak, { force: true });
  }
}
