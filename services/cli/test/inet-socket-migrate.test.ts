// ferry migrate moves a server with its listening socket: on b, in its own network namespace,
// it listens on the same port and its next client is served by the same program, counting on.
// With --tcp-established its client's connection moves too, once the service address does:
// an HTTP keep-alive client's, and a redis client's, which reads back on b what it wrote on a.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { removeBuiltWorkloads, script, ferry, withCluster, startOnA, waitForLine, freePort, treeOf, waitUntil, alive, withNetworkLocks, ServiceAddress, startRedisOnA, LineClient, redisCommand, type Cluster } from '@ferry/testbed';

after(removeBuiltWorkloads);

/** Migrates the tree of PID from a to b and waits until it no longer runs here. */
async function migrateToB(c: Cluster, pid: number, extra: string[] = []): Promise<void> {
  const tree = treeOf(pid);
  const r = await ferry(['migrate', '--pid', String(pid), '--from', 'a', '--to', 'b', '--json', ...extra], { env: c.env });
  assert.equal(r.status, 0, `ferry migrate: ${r.stderr}\n--- agent a:\n${c.agentA.output}\n--- agent b:\n${c.agentB.output}`);
  await waitUntil('the server to end here', () => tree.every((p) => !alive(p)));
  c.started.splice(0, c.started.length);
}

function get(host: string, port: number, agent: http.Agent | false = false, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host, port, agent, localAddress }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

test('a node HTTP server listening on every address moves to b and serves there, counting on', () => withCluster({}, async (c) => {
  const port = await freePort();
  const out = c.scratch.path('out');
  const pid = startOnA(c, [process.execPath, script('inet-http-server.mjs'), String(port), '0.0.0.0'], out);
  await waitForLine(out, /^ready/, 20_000);
  assert.match(await get('127.0.0.1', port), /^request 1 from port \d+\n$/);
  await migrateToB(c, pid);
  assert.match(await get(c.b.address, port), /^request 2 from port \d+\n$/, 'served on b by the same program');
  assert.match(await get(c.b.address, port), /^request 3 from port \d+\n$/);
}));

test('with --tcp-established a keep-alive client goes on over its connection once the service address moved to b', () => withCluster({}, (c) => withNetworkLocks((locksLeft) => ServiceAddress.with(async (service) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  // From our end of b's link: an address b reaches back, as a client elsewhere would have.
  const from = c.b.ourAddress;
  try {
    const port = await freePort();
    const out = c.scratch.path('out');
    const pid = startOnA(c, [process.execPath, script('inet-http-server.mjs'), String(port), '0.0.0.0'], out);
    await waitForLine(out, /^ready/, 20_000);
    const first = await get(service.address, port, agent, from);
    const clientPort = /from port (\d+)/.exec(first)![1]!;
    await migrateToB(c, pid, ['--tcp-established']);
    assert.equal(locksLeft().length, 1, 'the connection stays locked here, where its packets would be answered with a reset');
    service.moveTo(c.b);
    assert.equal(await get(service.address, port, agent, from), `request 2 from port ${clientPort}\n`, 'the same connection, served on b');
    assert.equal(await get(service.address, port, agent, from), `request 3 from port ${clientPort}\n`);
  } finally {
    agent.destroy();
  }
}))));

test('redis-server moves to b with --tcp-established: its client reads back what it set over the same connection, and a new client is served on b', () => withCluster({}, (c) => withNetworkLocks(() => ServiceAddress.with(async (service) => {
  const redis = await startRedisOnA(c);
  const client = await LineClient.connect(redis.port, service.address, c.b.ourAddress);
  try {
    assert.equal(await redisCommand(client, ['SET', 'greeting', 'hello from a']), '+OK');
    assert.equal(await redisCommand(client, ['INCR', 'n']), ':1');
    await migrateToB(c, redis.pid, ['--tcp-established']);
    service.moveTo(c.b);
    assert.equal(await redisCommand(client, ['GET', 'greeting']), 'hello from a', 'the same connection, answered on b');
    assert.equal(await redisCommand(client, ['INCR', 'n']), ':2');
    assert.deepEqual(client.events, [], 'never broken');
    const late = await LineClient.connect(redis.port, c.b.address);
    assert.equal(await redisCommand(late, ['GET', 'greeting']), 'hello from a');
    late.close();
  } finally {
    client.close();
  }
}))));
