// Two hosts for migration tests: "a" is this machine as it is (the workloads run here), "b" a
// NamespaceHost with its own pids, mounts and network, reaching NATS, Redis and the image server
// over its veth link. Each runs `ferry agent`; everything is stopped by pid and removed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './build.js';
import { Scratch } from './scratch.js';
import { childrenOf, killAll, treeOf, waitUntil } from './processes.js';
import { NamespaceHost } from './ns-host.js';
import { NatsServer } from './nats.js';
import { RedisServer } from './redis.js';
import { ANY } from './servers.js';
import { ImageServerProcess } from './image-server.js';

const ferryBin = path.join(repoRoot, 'services/cli/bin/ferry.js');

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

  /** The agent process itself, as we see it (under nsenter for b). */
  get pid(): number {
    const own = this.child.pid!;
    return this.child.spawnfile === 'nsenter' ? childrenOf(own)[0]! : own;
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
    await killAll(this.child.spawnfile === 'nsenter' ? [own, ...childrenOf(own)] : treeOf(own).reverse());
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
}

export async function withCluster(options: ClusterOptions, body: (c: Cluster) => Promise<void>): Promise<void> {
  const nats = await NatsServer.start(ANY);
  const redis = await RedisServer.start(ANY);
  const storeDir = new Scratch();
  const env = { ...nats.env(), FERRY_REDIS_URL: redis.url };
  const imageServer = await ImageServerProcess.start(storeDir.dir, env);
  const b = new NamespaceHost(true);
  const scratch = new Scratch();
  const started: number[] = [];
  const agents: Agent[] = [];
  try {
    await b.connect();
    const envB = { ...nats.envAt(b.ourAddress), FERRY_REDIS_URL: redis.urlAt(b.ourAddress), ...options.envB };
    const agentB = new Agent('b', b.start([process.execPath, ferryBin, 'agent', '--host', 'b'], envB));
    const agentA = new Agent('a', spawn(process.execPath, [ferryBin, 'agent', '--host', 'a'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, ...options.envA } }));
    agents.push(agentA, agentB);
    await agentA.ready();
    await agentB.ready();
    await body({ nats, redis, imageServer, store: storeDir.dir, env, b, agentA, agentB, scratch, started });
  } finally {
    await killAll(started);
    for (const agent of agents) await agent.stop();
    await b.remove();
    await imageServer.stop();
    await redis.kill();
    await nats.close();
    storeDir.remove();
    scratch.remove();
  }
}
