// Inet sockets: listeners (IPv4 and IPv6, with their options and backlog), UDP sockets bound and
// connected, and, with --tcp-established, connections to clients outside the tree, which go on
// over the same connection after restore with every byte queued either way, having seen no
// reset and no end while the server was away.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  workload, removeBuiltWorkloads, bedTest, dump, dumpAndRestore, restoreDetached, askCheck, ferry, assertFailedWith, freePort,
  LineClient, DatagramPeer, sleep, alive, withNetworkLocks, type TestBed,
} from '@ferry/testbed';

after(removeBuiltWorkloads);

interface Server { pid: number; tcp4: number; tcp6: number; udp: number; peer: DatagramPeer }

async function startServer(bed: TestBed): Promise<Server> {
  const peer = await DatagramPeer.open();
  const [tcp4, tcp6, udp] = [await freePort(), await freePort(), await freePort()];
  const pid = bed.start([workload('inet-server'), String(tcp4), String(tcp6), String(udp), String(peer.port)]);
  await bed.output.next(/^ready/);
  return { pid, tcp4, tcp6, udp, peer };
}

/** The server's pattern for "big N" (inet-server.c). */
function pattern(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => 97 + ((i * 7 + Math.floor(i / 4096)) % 26)));
}

bedTest('listeners and UDP sockets come back bound, listening and connected, with their options, and serve on', async (bed) => {
  const s = await startServer(bed);
  try {
    const client = await DatagramPeer.open();
    client.send('ping', s.udp);
    assert.equal(await client.next(), '1 ping');
    assert.equal(await s.peer.next(), 'seen ping');
    await dumpAndRestore(s.pid, bed.scratch.path('img'));
    assert.equal(await askCheck(s.pid, bed.output), 'check ok');
    const v4 = await LineClient.connect(s.tcp4);
    v4.send('hello\n');
    assert.equal(await v4.line(), '2 hello');
    const v6 = await LineClient.connect(s.tcp6, '::1');
    v6.send('over six\n');
    assert.equal(await v6.line(), '3 over six');
    client.send('pong', s.udp);
    assert.equal(await client.next(), '4 pong');
    assert.equal(await s.peer.next(), 'seen pong');
    v4.close(); v6.close(); client.close();
  } finally {
    s.peer.close();
  }
});

bedTest('without --tcp-established a connection makes the dump fail naming it, and the server serves it on', async (bed) => {
  const s = await startServer(bed);
  const c = await LineClient.connect(s.tcp4);
  try {
    c.send('one\n');
    assert.equal(await c.line(), '1 one');
    const result = await ferry(['dump', '-t', String(s.pid), '-D', bed.scratch.path('img')]);
    assertFailedWith(result, 'dump', new RegExp(`unsupported file descriptor \\d+: TCP 127\\.0\\.0\\.1:${s.tcp4} <-> 127\\.0\\.0\\.1:${c.port} is an established connection \\(dump with --tcp-established\\)`));
    assert.equal(fs.existsSync(bed.scratch.path('img')) && fs.readdirSync(bed.scratch.path('img')).length > 0, false);
    c.send('two\n');
    assert.equal(await c.line(), '2 two');
    assert.deepEqual(c.events, []);
  } finally {
    c.close();
    s.peer.close();
  }
});

bedTest('a dump with --tcp-established that fails takes the connection out of repair and unlocks it', (bed) => withNetworkLocks(async (locksLeft) => {
  const s = await startServer(bed);
  const c = await LineClient.connect(s.tcp4);
  try {
    const failed = await ferry(['dump', '-t', String(s.pid), '-D', bed.scratch.path('img'), '--tcp-established'], { env: { FERRY_FAIL_DUMP: 'commit' } });
    assertFailedWith(failed, 'dump', 'dump failed before its commit (FERRY_FAIL_DUMP)');
    assert.deepEqual(locksLeft(), []);
    c.send('still here\n');
    assert.equal(await c.line(), '1 still here');
    assert.deepEqual(c.events, []);
  } finally {
    c.close();
    s.peer.close();
  }
}));

bedTest('dumped with --leave-running and --tcp-established, the server serves its client on at once and nothing stays locked', (bed) => withNetworkLocks(async (locksLeft) => {
  const s = await startServer(bed);
  const c = await LineClient.connect(s.tcp4);
  try {
    c.send('before\n');
    assert.equal(await c.line(), '1 before');
    await dump(s.pid, bed.scratch.path('img'), ['--leave-running', '--tcp-established']);
    assert.deepEqual(locksLeft(), []);
    c.send('after\n');
    assert.equal(await c.line(), '2 after');
    assert.deepEqual(c.events, []);
  } finally {
    c.close();
    s.peer.close();
  }
}));

bedTest('with --tcp-established clients keep their connections, with the bytes queued both ways', (bed) => withNetworkLocks(async (locksLeft) => {
  const s = await startServer(bed);
  const idle = await LineClient.connect(s.tcp4);
  const slow = await LineClient.connect(s.tcp6, '::1');
  const held = await LineClient.connect(s.tcp4);
  const udp = await DatagramPeer.open();
  try {
    idle.send('a\n');
    assert.equal(await idle.line(), '1 a');
    // 8 MB the client does not read: its receive queue, the server's send queue (sent and not
    // acknowledged, and never sent) and the server's own buffer each hold part of it.
    slow.pause();
    slow.send('big 8000000\n');
    await sleep(200);
    held.send('hold\n');
    assert.equal(await held.line(), '3 hold');
    // Lines the server does not read: they wait in its receive queue.
    held.send('x1\nx2\n');
    await sleep(300);

    const img = bed.scratch.path('img');
    await dump(s.pid, img, ['--tcp-established']);
    await sleep(1000); // the clients' retransmits go to nobody meanwhile, and must not be answered
    for (const c of [idle, slow, held]) assert.deepEqual(c.events, [], 'no end and no reset while the server is away');
    assert.equal(locksLeft().length, 1, 'the connections are locked until restore');

    const refused = await ferry(['restore', '-D', img, '-d']);
    assertFailedWith(refused, 'restore', new RegExp(`TCP 127\\.0\\.0\\.1:${s.tcp4} <-> 127\\.0\\.0\\.1:\\d+ is an established connection \\(restore with --tcp-established\\)`));
    assert.equal(alive(s.pid), false, 'a refused restore leaves no process');
    // A restore failing late closes its connections still in repair mode: the peers hear nothing.
    const failed = await ferry(['restore', '-D', img, '-d', '--tcp-established'], { env: { FERRY_FAIL_STAGE: 'RESTORE_CREDS' } });
    assertFailedWith(failed, 'restore', /stage RESTORE_CREDS: .*FERRY_FAIL_STAGE/);
    assert.equal(alive(s.pid), false, 'a failed restore leaves no process');
    await sleep(500);
    for (const c of [idle, slow, held]) assert.deepEqual(c.events, [], 'a failed restore sends no end and no reset');
    assert.equal(locksLeft().length, 1, 'the connections stay locked for the next restore');

    await restoreDetached(img, ['--tcp-established']);
    assert.deepEqual(locksLeft(), [], 'restore lifts the lock');
    assert.equal(await askCheck(s.pid, bed.output), 'check ok');
    idle.send('b\n');
    assert.equal(await idle.line(), '4 b');
    slow.resume();
    assert.ok((await slow.bytes(8_000_000, 30_000)).equals(pattern(8_000_000)), 'the 8 MB come whole and in order');
    assert.equal(await slow.line(), 'end');
    udp.send('release', s.udp);
    assert.equal(await held.line(), '5 x1');
    assert.equal(await held.line(), '6 x2');
    assert.equal(await udp.next(), '7 release');
    const late = await LineClient.connect(s.tcp4);
    late.send('new\n');
    assert.equal(await late.line(), '8 new');
    late.close();
    for (const c of [idle, slow, held]) assert.deepEqual(c.events, []);
  } finally {
    for (const c of [idle, slow, held]) c.close();
    udp.close();
    s.peer.close();
  }
}));

bedTest('a connection its client half-closed (CLOSE_WAIT) makes the dump fail naming its state, and the server runs on', async (bed) => {
  const s = await startServer(bed);
  const c = await LineClient.connect(s.tcp4);
  const udp = await DatagramPeer.open();
  try {
    c.send('hold\n');
    assert.equal(await c.line(), '1 hold');
    c.socket.end();
    await sleep(200);
    const result = await ferry(['dump', '-t', String(s.pid), '-D', bed.scratch.path('img'), '--tcp-established']);
    assertFailedWith(result, 'dump', new RegExp(`unsupported file descriptor \\d+: TCP 127\\.0\\.0\\.1:${s.tcp4} <-> 127\\.0\\.0\\.1:${c.port} is in state CLOSE_WAIT \\(ferry carries listening, established and unconnected TCP sockets\\)`));
    udp.send('ping', s.udp);
    assert.equal(await udp.next(), '2 ping');
  } finally {
    c.close();
    udp.close();
    s.peer.close();
  }
});

bedTest('a listener with a connection not yet accepted makes the dump fail saying so, and then accepts it', async (bed) => {
  const s = await startServer(bed);
  const udp = await DatagramPeer.open();
  try {
    udp.send('hold-accept', s.udp);
    assert.equal(await udp.next(), '1 hold-accept');
    const waiting = await LineClient.connect(s.tcp4);
    waiting.send('queued\n');
    const result = await ferry(['dump', '-t', String(s.pid), '-D', bed.scratch.path('img'), '--tcp-established']);
    assertFailedWith(result, 'dump', new RegExp(`unsupported file descriptor \\d+: TCP 127\\.0\\.0\\.1:${s.tcp4} is listening with 1 connection\\(s\\) not yet accepted \\(ferry does not carry them\\)`));
    udp.send('release', s.udp);
    assert.equal(await udp.next(), '2 release');
    assert.equal(await waiting.line(), '3 queued');
    waiting.close();
  } finally {
    udp.close();
    s.peer.close();
  }
});

bedTest('a UDP socket with a datagram queued makes the dump fail saying so, and the server reads it after', async (bed) => {
  const s = await startServer(bed);
  const c = await LineClient.connect(s.tcp4);
  const udp = await DatagramPeer.open();
  try {
    c.send('mute\n');
    assert.equal(await c.line(), '1 mute');
    udp.send('waiting', s.udp);
    await sleep(200);
    const result = await ferry(['dump', '-t', String(s.pid), '-D', bed.scratch.path('img'), '--tcp-established']);
    assertFailedWith(result, 'dump', new RegExp(`unsupported file descriptor \\d+: UDP 127\\.0\\.0\\.1:${s.udp} has datagrams queued \\(ferry does not carry them\\)`));
    c.send('unmute\n');
    assert.equal(await c.line(), '2 unmute');
    assert.equal(await udp.next(), '3 waiting');
    assert.deepEqual(c.events, [], 'the connection taken for the failed dump runs on');
  } finally {
    c.close();
    udp.close();
    s.peer.close();
  }
});
