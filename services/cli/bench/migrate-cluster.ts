// The two hosts of the migrate part, all on loopback: nats-server and redis-server (free ports,
// passwords; the test harness's starters), `ferry image-server` storing on tmpfs, agent a here and
// agent b in a pid and mount namespace of its own sharing our network. Both agents run with -v:
// their steps and stage lines, timed as they arrive, say where a migration spends its time. b
// fetches checkpoints into a tmpfs directory (its TMPDIR) that the bench can watch.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from '../test/harness/cluster.js';
import { NamespaceHost } from '../test/harness/ns-host.js';
import { NatsServer } from '../test/harness/nats.js';
import { RedisServer } from '../test/harness/redis.js';
import { ImageServerProcess } from '../test/harness/image-server.js';
import { childrenOf } from '../test/harness/processes.js';
import { Lines } from './migrate-watch.js';

const here = path.dirname(new URL(import.meta.url).pathname);
export const ferryBin = path.resolve(here, '../../../../services/cli/bin/ferry.js');

export interface BenchCluster {
  nats: NatsServer;
  redis: RedisServer;
  imageServer: ImageServerProcess;
  /** The image server's store (tmpfs). */
  store: string;
  /** b's TMPDIR (tmpfs): its fetched copies go to ferry-restore-*. */
  fetchDir: string;
  /** The environment of every ferry command and agent: NATS and Redis. */
  env: Record<string, string>;
  b: NamespaceHost;
  agentA: Agent;
  agentB: Agent;
  /** What the agents print (agent a passes its migrate-source's stderr on). */
  saidA: Lines;
  saidB: Lines;
  /** nats-server's pid (a child of ours). */
  natsPid(): number | undefined;
  stop(): Promise<void>;
}

export async function startBenchCluster(work: string): Promise<BenchCluster> {
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await Promise.resolve().then(s).catch((e: Error) => console.error(`bench migrate cleanup: ${e.message}`));
  };
  try {
    const nats = await NatsServer.start();
    stops.push(() => nats.close());
    const redis = await RedisServer.start();
    stops.push(() => redis.kill());
    const env = { ...nats.env(), FERRY_REDIS_URL: redis.url };
    const store = path.join(work, 'store');
    const fetchDir = path.join(work, 'b-tmp');
    fs.mkdirSync(fetchDir);
    const imageServer = await ImageServerProcess.start(store, env);
    stops.push(() => imageServer.stop());
    const b = new NamespaceHost(false);
    stops.push(() => b.remove());
    await b.initPid();
    const childB = b.start([process.execPath, ferryBin, 'agent', '--host', 'b', '-v'], { ...env, TMPDIR: fetchDir });
    const agentB = new Agent('b', childB);
    stops.push(() => agentB.stop());
    const childA = spawn(process.execPath, [ferryBin, 'agent', '--host', 'a', '-v'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const agentA = new Agent('a', childA);
    stops.push(() => agentA.stop());
    const saidA = new Lines(childA.stderr!);
    const saidB = new Lines(childB.stderr!);
    await agentA.ready();
    await agentB.ready();
    const natsPid = () => childrenOf(process.pid).find((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nats-server');
    return { nats, redis, imageServer, store, fetchDir, env, b, agentA, agentB, saidA, saidB, natsPid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
