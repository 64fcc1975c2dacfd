// A checkpoint restored on another "host" (pid, mount and network namespaces of its own) keeps
// its pids there, carries on, and the host is reachable over its own link; the test servers
// started on every address serve it over that link, and Redis keeps its keys across a restart.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { bedTest, startTreeIn, dump, dumpToImageServer, waitUntil, treeCheck, NamespaceHost, NatsServer, startRedis, ImageServerProcess, ANY, LOOPBACK } from '@ferry/testbed';

bedTest('a tree dumped here is restored inside another pid namespace with the same pids there', async (bed) => {
  const host = new NamespaceHost();
  try {
    await host.connect();
    const server = net.createServer((c) => c.on('data', (d) => { heard += d; }));
    let heard = '';
    await new Promise<void>((r) => server.listen(0, host.ourAddress, r));
    const port = (server.address() as net.AddressInfo).port;
    host.exec(['python3', '-c', `import socket; socket.create_connection(('${host.ourAddress}', ${port}), 5).sendall(b'from the host')`]);
    await waitUntil('the host to reach us over its link', () => heard === 'from the host');
    server.close();
    const { root, pids, out } = await startTreeIn(bed);
    await dump(root, bed.scratch.path('img'));
    host.ferry(['restore', '-D', bed.scratch.path('img'), '-d']);
    // Inside the host the tree has its old pids; here, pids of the host's namespace.
    const outer = pids.map((pid) => host.outerPid(pid));
    assert.ok(outer.every((p) => p !== undefined), `pids inside the host: ${pids} -> ${outer}`);
    assert.equal(await treeCheck({ root: outer[0]!, pids: outer as number[], out }), 'check ok');
  } finally {
    await host.remove();
  }
});

/** Runs redis-cli against URL, here or (HOST given) inside HOST; its reply, trimmed. */
function redisCli(url: string, args: string[], host?: NamespaceHost): string {
  const u = new URL(url);
  const argv = ['redis-cli', '--no-auth-warning', '-h', u.hostname, '-p', u.port, '-a', decodeURIComponent(u.password), ...args];
  return (host ? host.exec(argv) : execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' })).trim();
}

bedTest('servers started on every address serve a host of its own network over its link; Redis restarted keeps its keys; the host restores from the image server over NATS alone', async (bed) => {
  const nats = await NatsServer.start(ANY);
  const redis = await startRedis(ANY);
  const imageServer = await ImageServerProcess.start(bed.scratch.path('store'), nats.env(), [], ANY);
  const host = new NamespaceHost(true);
  try {
    await host.connect();
    // Redis: reached from inside over the link (its loopback is its own), and from here.
    assert.equal(redisCli(redis.urlAt(host.ourAddress), ['ping'], host), 'PONG');
    assert.throws(() => redisCli(redis.urlAt(LOOPBACK), ['ping'], host), 'the host\'s loopback is not ours');
    redisCli(redis.url, ['set', 'ferry:migration:test:runs-on', 'b']);
    const before = redis.pid;
    await redis.stop();
    assert.throws(() => redisCli(redis.urlAt(host.ourAddress), ['ping'], host), 'Redis is down');
    await redis.restart();
    assert.notEqual(redis.pid, before);
    assert.equal(redisCli(redis.urlAt(host.ourAddress), ['get', 'ferry:migration:test:runs-on'], host), 'b');

    // NATS: a tree dumped here through the image server (its pages over the page stream, which
    // only our side can dial) is listed and restored inside the host over NATS alone.
    const { root, pids, out } = await startTreeIn(bed);
    const id = await dumpToImageServer(root, nats.env());
    const pageStream = imageServer.pageStream!;
    assert.equal(pageStream.host, ANY);
    assert.throws(() => host.exec(['python3', '-c', `import socket; socket.create_connection(('${pageStream.host}', ${pageStream.port}), 2)`]), 'the host cannot dial the page stream');
    const inside = nats.envAt(host.ourAddress);
    const listed = JSON.parse(host.ferry(['checkpoints', '--json'], { env: inside })) as { checkpointId: string; committed: boolean }[];
    assert.deepEqual(listed.map((c) => [c.checkpointId, c.committed]), [[id, true]]);
    host.ferry(['restore', '--checkpoint', id, '-d'], { env: inside });
    const outer = pids.map((pid) => host.outerPid(pid));
    assert.ok(outer.every((p) => p !== undefined), `pids inside the host: ${pids} -> ${outer}`);
    assert.equal(await treeCheck({ root: outer[0]!, pids: outer as number[], out }), 'check ok');
  } finally {
    await host.remove();
    await imageServer.stop();
    await redis.kill();
    await nats.close();
  }
});
