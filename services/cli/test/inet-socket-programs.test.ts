// Real servers keep their clients outside the tree across dump and restore with
// --tcp-established: the clients go on over the same connections, and new ones connect.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { removeBuiltWorkloads, bedTest, dumpAndRestore, freePort, LineClient, sleep, script, resp, type TestBed } from '@ferry/testbed';

after(removeBuiltWorkloads);

const TCP = { dumpArgs: ['--tcp-established'], restoreArgs: ['--tcp-established'] };

/** A connection to PORT on loopback once something listens there. */
async function connectWhenUp(port: number): Promise<LineClient> {
  for (let i = 0; ; i++) {
    try {
      return await LineClient.connect(port);
    } catch (e) {
      if (i === 100) throw e;
      await sleep(100);
    }
  }
}

bedTest('redis-server keeps its client across dump and restore with --tcp-established, and takes new ones', async (bed) => {
  const port = await freePort();
  const pid = bed.start(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no']);
  const client = await connectWhenUp(port);
  try {
    client.send(resp('SET', 'greeting', 'hello across a checkpoint'));
    assert.equal(await client.line(), '+OK\r');
    await dumpAndRestore(pid, bed.scratch.path('img'), TCP);
    assert.deepEqual(client.events, []);
    client.send(resp('GET', 'greeting'));
    assert.equal(await client.line(), '$25\r');
    assert.equal(await client.line(), 'hello across a checkpoint\r');
    client.send(resp('INCR', 'n'));
    assert.equal(await client.line(), ':1\r');
    const late = await LineClient.connect(port);
    late.send(resp('GET', 'greeting'));
    assert.equal(await late.line(), '$25\r');
    assert.equal(await late.line(), 'hello across a checkpoint\r');
    late.close();
    assert.deepEqual(client.events, []);
  } finally {
    client.close();
  }
});

/** GET / over AGENT's one kept-alive connection. */
function get(port: number, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, agent }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

bedTest('a node HTTP server serves its keep-alive client on over the same connection after restore', async (bed: TestBed) => {
  const port = await freePort();
  const pid = bed.start([process.execPath, script('inet-http-server.mjs'), String(port)]);
  await bed.output.next(/^ready/);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets: string[] = [];
  agent.on('free', (socket) => sockets.push(`${socket.localPort}`));
  try {
    const first = await get(port, agent);
    const clientPort = /from port (\d+)/.exec(first)![1]!;
    assert.equal(first, `request 1 from port ${clientPort}\n`);
    await dumpAndRestore(pid, bed.scratch.path('img'), TCP);
    assert.equal(await get(port, agent), `request 2 from port ${clientPort}\n`, 'the same connection, the same count');
    assert.equal(await get(port, agent), `request 3 from port ${clientPort}\n`);
    assert.deepEqual(new Set(sockets), new Set([clientPort]), 'the agent never needed another connection');
  } finally {
    agent.destroy();
  }
});
