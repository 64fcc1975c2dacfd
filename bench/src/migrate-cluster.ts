// The two hosts of the migrate part, all on loopback: nats-server and redis-server (free ports,
// passwords; the testbed's starters), `ferry image-server` storing on tmpfs, agent a here and
// agent b in a pid and mount namespace of its own sharing our network. Both agents run with -v:
// their steps and stage lines, timed as they arrive, say where a migration spends its time. Agent
// b offers its page stream (a migration's pages go there while a dumps) and keeps what it receives
// and fetches in a tmpfs directory (its TMPDIR) that the bench can watch.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent, childrenOf, ferryBin, ImageServerProcess, NamespaceHost, NatsServer, RedisServer } from '@ferry/testbed';
import { Lines } from './migrate-watch.js';

export interface BenchCluster {
  nats: NatsServer;
  redis: RedisServer;
  imageServer: ImageServerProcess;
  /** The image server's store (tmpfs). */
  store: string;
  /** b's TMPDIR (tmpfs). */
  fetchDir: string;
  /** Agent b's own directory in it: ferry-restore-* (a restore job's image), incoming-pages/. */
  agentDirB: string;
  /** Where agent b writes the pages a migration's dumper streams to it, one CHECKPOINT_ID.pages each. */
  incomingPagesB: string;
  /** Where agent b's page stream listens, as its ready line says; undefined: it offers none (the pages go through the image server). */
  pageStreamB?: string;
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
    // b shares our network (no link of its own): loopback is the address a's dumper reaches it at.
    const childB = b.start([process.execPath, ferryBin, 'agent', '--host', 'b', '-v', '--page-stream', '127.0.0.1:0'], { ...env, TMPDIR: fetchDir });
    const agentB = new Agent('b', childB);
    stops.push(() => agentB.stop());
    // Its work directory (incoming pages) inside ours, removed with it.
    const tmpA = path.join(work, 'a-tmp');
    fs.mkdirSync(tmpA);
    const childA = spawn(process.execPath, [ferryBin, 'agent', '--host', 'a', '-v'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, TMPDIR: tmpA } });
    const agentA = new Agent('a', childA);
    stops.push(() => agentA.stop());
    const saidA = new Lines(childA.stderr!);
    const saidB = new Lines(childB.stderr!);
    await agentA.ready();
    await agentB.ready();
    const pageStreamB = /page stream on (\S+)/.exec(agentB.output)?.[1];
    const agentDirB = path.join(fetchDir, 'ferry-agent-b');
    const natsPid = () => childrenOf(process.pid).find((pid) => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'nats-server');
    return { nats, redis, imageServer, store, fetchDir, agentDirB, incomingPagesB: path.join(agentDirB, 'incoming-pages'), pageStreamB, env, b, agentA, agentB, saidA, saidB, natsPid, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
