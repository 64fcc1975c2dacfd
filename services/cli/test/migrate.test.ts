// ferry migrate: a tree moves to another host's agent (pid and mount namespaces of its own) through
// the image server; afterwards exactly one copy runs, there if it took over, here if not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { STAGES } from '@ferry/restorer';
import { repoRoot, workload } from './harness/build.js';
import { Scratch } from './harness/scratch.js';
import { launch, treeOf, waitForLine, waitGone, waitUntil, killAll } from './harness/processes.js';
import { ferry, ferryOk } from './harness/ferry.js';
import { treeCheck } from './harness/tree-workload.js';
import { NamespaceHost } from './harness/ns-host.js';
import { NatsServer } from './harness/nats.js';
import { startRedis } from './harness/redis.js';
import { ImageServerProcess, waitForPagesStreaming } from './harness/image-server.js';

const ferryBin = path.join(repoRoot, 'services/cli/bin/ferry.js');

/** Starts an agent inside HOST; resolves, once it serves, to what it has said so far (a getter). */
async function startAgent(host: NamespaceHost, name: string, env: Record<string, string>): Promise<() => string> {
  const agent: ChildProcess = host.start([process.execPath, ferryBin, 'agent', '--host', name], env);
  let said = '';
  agent.stdout!.on('data', (d) => (said += d));
  agent.stderr!.on('data', (d) => (said += d));
  await waitUntil(`the agent on ${name}`, () => said.includes(`agent ${name} ready`)).catch((e: Error) => { throw new Error(`${e.message}: ${said}`); });
  return () => said;
}

interface Cluster {
  env: Record<string, string>;
  host: NamespaceHost;
  /** The tree workload, running here and ready. */
  tree: { root: number; pids: number[]; out: string };
  /** Pids here to kill at the end (emptied once the tree has moved). */
  started: number[];
  /** What agent b has said so far. */
  agentSaid: () => string;
  imageServer: ImageServerProcess;
  store: string;
  scratch: Scratch;
}

/** NATS, Redis, an image server, host b (its own pids and mounts) with an agent, and a tree here. */
async function withCluster(agentEnv: Record<string, string>, body: (c: Cluster) => Promise<void>): Promise<void> {
  const nats = await NatsServer.start();
  const redis = await startRedis();
  const store = new Scratch();
  const env = { ...nats.env(), FERRY_REDIS_URL: redis.url };
  const imageServer = await ImageServerProcess.start(store.dir, env);
  const host = new NamespaceHost(false);
  const scratch = new Scratch();
  const started: number[] = [];
  try {
    await host.initPid();
    const agentSaid = await startAgent(host, 'b', { ...env, ...agentEnv });
    const out = scratch.path('out');
    const root = launch([workload('tree', ['-pthread'])], { newSession: true, output: out });
    started.push(root);
    await waitForLine(out, /^ready/);
    const tree = { root, pids: treeOf(root), out };
    started.push(...tree.pids);
    await body({ env, host, tree, started, agentSaid, imageServer, store: store.dir, scratch });
  } finally {
    await killAll(started);
    await host.remove();
    await imageServer.stop();
    await redis.kill();
    await nats.close();
    store.remove();
    scratch.remove();
  }
}

test('a tree migrated to a host with an agent runs there with its pids; to a host without one it stays here', () => withCluster({}, async ({ env, host, tree, started }) => {
  const nowhere = await ferry(['migrate', '--pid', String(tree.root), '--to', 'c'], { env: { ...env, FERRY_MIGRATE_TIMEOUT_MS: '2000' } });
  assert.notEqual(nowhere.status, 0);
  assert.match(nowhere.stderr, new RegExp(`^ferry migrate: checkpoint .* was not taken over \\(.*\\): pid ${tree.root} runs on here\\n$`));
  assert.equal(await treeCheck(tree), 'check ok', 'the tree runs on here');

  const moved = JSON.parse((await ferryOk(['migrate', '--pid', String(tree.root), '--to', 'b', '--json'], { env })).stdout);
  assert.equal(moved.pidThere, tree.root);
  assert.equal(moved.processes, tree.pids.length);
  assert.deepEqual(Object.keys(moved.stageMs), [...STAGES]);
  assert.ok(moved.downtimeMs > 0 && moved.downtimeMs <= moved.totalMs);
  for (const pid of tree.pids) await waitGone(pid);
  const there = tree.pids.map((pid) => host.outerPid(pid));
  assert.ok(there.every((p) => p !== undefined), `the tree on b: ${there}`);
  assert.equal(await treeCheck({ ...tree, root: there[0]!, pids: there as number[] }), 'check ok');
  started.length = 0; // gone from here: what runs on b goes with b
}));

test('a target too slow to take over in time leaves the tree running here and nothing there', () =>
  // The agent dawdles in RESTORE, with the tree half made on b, past the source's patience.
  withCluster({ FERRY_SLOW_STAGE: 'RESTORE:1:5000' }, async ({ env, host, tree, agentSaid }) => {
    const root = tree.root;
    const migrating = ferry(['migrate', '--pid', String(root), '--to', 'b'], { env: { ...env, FERRY_MIGRATE_TIMEOUT_MS: '2500' } });
    await waitUntil('the restore to be under way on b', () => host.outerPid(root) !== undefined);
    const r = await migrating;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`^ferry migrate: checkpoint .* was not taken over \\(.*\\): pid ${root} runs on here\\n$`));
    assert.equal(await treeCheck(tree), 'check ok', 'the tree runs on here');
    await waitUntil('nothing of the tree on b', () => tree.pids.every((pid) => host.outerPid(pid) === undefined));
    // The job ends (its fetched copy removed) once the agent has cleaned up.
    await waitUntil('the agent to give the job up', () => /job restore \S+ failed: .*the source took the tree back/.test(agentSaid()));
  }));

test('an image server killed while the tree streams out fails the migration; the tree runs on here, nothing runs on b', () =>
  withCluster({}, async ({ env, host, imageServer, store, scratch, started }) => {
    const out = scratch.path('memory-out');
    const pid = launch([workload('memory')], { newSession: true, output: out });
    started.push(pid);
    await waitForLine(out, /^ready/);
    const migrating = ferry(['migrate', '--pid', String(pid), '--to', 'b'], { env });
    await waitForPagesStreaming(store, 4 << 20);
    await imageServer.stop('SIGKILL');
    const r = await migrating;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^ferry migrate: .*image server.*\n$/);
    process.kill(pid, 'SIGUSR1');
    assert.equal(await waitForLine(out, /^check/), 'check ok', 'the tree runs on here');
    assert.equal(host.outerPid(pid), undefined, 'nothing of it on b');
  }));
