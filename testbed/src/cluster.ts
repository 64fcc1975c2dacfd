// Two hosts for migration tests: "a" is this machine as it is (the workloads run here), "b" a
// NamespaceHost with its own pids, mounts and network, reaching NATS, Redis and the image server
// over its veth link. Each runs `ferry agent`; everything is stopped by pid and removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ferryBin } from './paths.js';
import { Scratch } from './scratch.js';
import { childrenOf, killAll, launch, treeOf, waitForLine, waitGone, waitUntil } from './processes.js';
import assert from 'node:assert/strict';
import { workload } from './build.js';
import { ferry, type FerryResult } from './ferry.js';
import { treeCheck, type RunningTree } from './tree-workload.js';
import { NamespaceHost } from './ns-host.js';
import { NatsServer } from './nats.js';
import { RedisServer } from './redis.js';
import { ANY } from './servers.js';
import { ImageServerProcess } from './image-server.js';

export class Agent {
  private said = '';

  constructor(readonly name: string, private readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.said += d));
    child.stderr!.on('data', (d) => (this.said += d));
  }

  /** Everything it said on stdout and stderr so far. */
  get output(): string {
    return this.said;
  }

  async ready(): Promise<void> {
    await waitUntil(`the agent on ${this.name}`, () => this.said.includes(`agent ${this.name} ready`))
      .catch((e: Error) => { throw new Error(`${e.message}: ${this.said}`); });
  }

  /** The agent process itself, as we see it (under nsenter for b); 0 once it is gone. */
  get pid(): number {
    const own = this.child.pid!;
    if (this.child.spawnfile !== 'nsenter') return own;
    try {
      return childrenOf(own)[0] ?? 0;
    } catch {
      return 0;
    }
  }

  /** SIGKILL, as a crash would; resolves once its process is gone. */
  async kill(): Promise<void> {
    const pid = this.pid;
    await killAll([pid]);
  }

  /**
   * Ends it with whatever it started that still runs here (a migration's dumper, in its own
   * session); in a NamespaceHost the rest ends with the host.
   */
  async stop(): Promise<void> {
    const own = this.child.pid!;
    let inside: number[] = [];
    try { inside = childrenOf(own); } catch { /* gone with its agent */ }
    await killAll(this.child.spawnfile === 'nsenter' ? [own, ...inside] : treeOf(own).reverse());
  }
}

export interface Cluster {
  nats: NatsServer;
  redis: RedisServer;
  imageServer: ImageServerProcess;
  store: string;
  /** The environment of commands run on a (migrate, checkpoint, restore). */
  env: Record<string, string>;
  b: NamespaceHost;
  agentA: Agent;
  agentB: Agent;
  scratch: Scratch;
  /** Pids here the test started, killed at the end (empty it once they have moved). */
  started: number[];
}

export interface ClusterOptions {
  /** More environment for agent a (FERRY_MIGRATE_TIMEOUT_MS) and agent b (FERRY_SLOW_STAGE). */
  envA?: Record<string, string>;
  envB?: Record<string, string>;
  /** Agent b's --page-stream (default: b's end of the link, which a reaches). */
  pageStreamB?: string;
}

export async function withCluster(options: ClusterOptions, body: (c: Cluster) => Promise<void>): Promise<void> {
  const nats = await NatsServer.start(ANY);
  const redis = await RedisServer.start(ANY);
  const storeDir = new Scratch();
  const env = { ...nats.env(), FERRY_REDIS_URL: redis.url };
  const b = new NamespaceHost(true);
  const scratch = new Scratch();
  const started: number[] = [];
  const agents: Agent[] = [];
  let imageServer: ImageServerProcess | undefined;
  try {
    await b.connect();
    // Its page stream on b's link: dumpers on either host reach it there.
    imageServer = await ImageServerProcess.start(storeDir.dir, env, [], b.ourAddress);
    const envB = { ...nats.envAt(b.ourAddress), FERRY_REDIS_URL: redis.urlAt(b.ourAddress), ...options.envB };
    // Migrations to b send their pages to b's agent, on b's end of the link.
    const agentB = new Agent('b', b.start([process.execPath, ferryBin, 'agent', '--host', 'b', '--page-stream', options.pageStreamB ?? `${b.address}:0`], envB));
    const agentA = new Agent('a', spawn(process.execPath, [ferryBin, 'agent', '--host', 'a'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, ...options.envA } }));
    agents.push(agentA, agentB);
    await agentA.ready();
    await agentB.ready();
    await body({ nats, redis, imageServer, store: storeDir.dir, env, b, agentA, agentB, scratch, started });
  } finally {
    await killAll(started);
    for (const agent of agents) await agent.stop();
    await b.remove();
    await imageServer?.stop();
    await redis.kill();
    await nats.close();
    storeDir.remove();
    scratch.remove();
    // Where the agents fetched checkpoints (they were killed, so nobody else removes it).
    for (const agent of agents) fs.rmSync(path.join(os.tmpdir(), `ferry-agent-${agent.name}`), { recursive: true, force: true });
  }
}

/** Starts ARGV on a in a session of its own, writing to OUTPUT; the cluster kills it at the end unless it has moved. */
export function startOnA(c: Cluster, argv: string[], output: string): number {
  const pid = launch(argv, { newSession: true, output });
  c.started.push(pid);
  return pid;
}

/** The tree workload, started on a and ready; its pids are the test's to kill. */
export async function startTree(c: Cluster): Promise<RunningTree> {
  const out = c.scratch.path('tree-out');
  const root = startOnA(c, [workload('tree', ['-pthread'])], out);
  await waitForLine(out, /^ready/);
  const pids = treeOf(root);
  c.started.push(...pids);
  return { root, pids, out };
}

/** `ferry migrate --json` under way: its result, and the stages b reported so far. */
export interface Migration {
  result: Promise<FerryResult>;
  /** Resolves once b has reported STAGE (from the progress lines). */
  reached(stage: string): Promise<void>;
}

export function startMigration(c: Cluster, pid: number, extra: string[] = []): Migration {
  let seen = '';
  const result = ferry(['migrate', '--pid', String(pid), '--from', 'a', '--to', 'b', '--json', ...extra], { env: c.env, onStdout: (d) => (seen += d) });
  return {
    result,
    reached: (stage) => waitUntil(`b to reach ${stage}`, () => seen.includes(`"stage":"${stage}"`), 30_000),
  };
}

/** Our pids of whatever runs in host b besides its init and agent b (nothing, after a failed migration). */
export function strays(c: Cluster): number[] {
  return c.b.processes().filter((pid) => pid !== c.agentB.pid);
}

/** The memory workload (checks its pages on SIGUSR1), started on a and ready. */
export async function startMemory(c: Cluster): Promise<{ pid: number; check(): Promise<string> }> {
  const out = c.scratch.path('memory-out');
  const pid = startOnA(c, [workload('memory')], out);
  await waitForLine(out, /^ready/);
  return {
    pid,
    check: () => {
      process.kill(pid, 'SIGUSR1');
      return waitForLine(out, /^check/);
    },
  };
}

/** The tree has left a and runs on b with its pids there, checking out; it is b's to end now. */
export async function assertMovedToB(c: Cluster, tree: RunningTree): Promise<void> {
  for (const pid of tree.pids) await waitGone(pid);
  const there = tree.pids.map((pid) => c.b.outerPid(pid));
  assert.ok(there.every((p) => p !== undefined), `the tree on b: ${there}`);
  assert.equal(await treeCheck({ ...tree, root: there[0]!, pids: there as number[] }), 'check ok');
  c.started.length = 0;
}

/** Where agent b receives a migration's pages while the source dumps. */
export function incomingPagesOfB(): string {
  return path.join(os.tmpdir(), 'ferry-agent-b', 'incoming-pages');
}

/** Waits until some migration has sent more than BYTES bytes of pages to agent b. */
export async function waitForPagesAtB(bytes: number): Promise<void> {
  const dir = incomingPagesOfB();
  await waitUntil(`pages streaming into ${dir}`, () => {
    try {
      return fs.readdirSync(dir).some((n) => fs.statSync(path.join(dir, n)).size > bytes);
    } catch {
      return false;
    }
  }, 20_000);
}

/** What migrate says when the source kept the tree. */
export function notTakenOver(pid: number, why = '.*'): RegExp {
  return new RegExp(`^ferry migrate: checkpoint .* was not taken over \\(${why}\\): pid ${pid} runs on here\\n$`);
}
