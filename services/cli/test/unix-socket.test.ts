// Unix sockets inside the tree come back as they were: every type with messages queued both
// ways, bound to a path, to an abstract name or unbound, a listener with connections waiting in
// its accept queue, and who made each (SO_PEERCRED). What cannot come back fails the dump, and a
// path taken by something else fails the restore, leaving nothing behind.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import {
  workload, removeBuiltWorkloads, bedTest, dump, dumpAndRestore, restoreDetached, askCheck, ferry, assertFailedWith, alive, treeOf,
} from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('stream, datagram and seqpacket sockets come back with their queues, senders, options and shutdowns; a path-bound one rebinds its path', async (bed) => {
  const dir = bed.scratch.path('socks');
  fs.mkdirSync(dir);
  const pid = bed.start([workload('unix-queues'), dir]);
  await bed.output.next(/^ready/);
  await dump(pid, bed.scratch.path('img'));
  const dumped = fs.statSync(`${dir}/dgram.sock`).ctimeMs;
  await restoreDetached(bed.scratch.path('img'));
  assert.ok(fs.statSync(`${dir}/dgram.sock`).ctimeMs > dumped, 'the socket file the dumped process left is replaced');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

/** One line from the server at PATH, as a client outside the tree reads it. */
function readLineFrom(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(path);
    let got = '';
    c.setTimeout(5000, () => c.destroy(new Error(`no answer from ${path}`)));
    c.on('data', (d) => (got += d));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

bedTest('a server with an accepted connection and two waiting in its backlog serves them all after restore, and a new client too', async (bed) => {
  const path = bed.scratch.path('server.sock');
  const pid = bed.start([workload('unix-server'), path]);
  await bed.output.next(/^ready/);
  const tree = treeOf(pid);
  assert.equal(tree.length, 4);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.deepEqual(treeOf(pid), tree);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await readLineFrom(path), 'served\n');
});

bedTest('a restore whose socket path now holds something else fails saying so, and leaves no process', async (bed) => {
  const dir = bed.scratch.path('socks');
  fs.mkdirSync(dir);
  const pid = bed.start([workload('unix-queues'), dir]);
  await bed.output.next(/^ready/);
  const img = bed.scratch.path('img');
  await dump(pid, img);
  fs.rmSync(`${dir}/dgram.sock`);
  fs.writeFileSync(`${dir}/dgram.sock`, 'not a socket');
  const r = await ferry(['restore', '-D', img, '-d']);
  assertFailedWith(r, 'restore', `${dir}/dgram.sock, where a restored unix socket is bound, is now something else than a socket: remove it or move it away`);
  assert.equal(alive(pid), false);
  assert.equal(fs.readFileSync(`${dir}/dgram.sock`, 'utf8'), 'not a socket');
});

// A socketpair whose one end stays with a parent outside the dumped tree (python's child is dumped).
const OUTSIDE_PEER = 'import os, socket, sys, time\na, b = socket.socketpair()\npid = os.fork()\nif pid == 0:\n    a.close()\n    print("ready", os.getpid(), os.fstat(b.fileno()).st_ino, flush=True)\n    while True: time.sleep(1)\nb.close()\nos.waitpid(pid, 0)\n';

bedTest('a socket whose peer is outside the tree fails the dump naming it and what to do, and the process carries on', async (bed) => {
  const parent = bed.start(['python3', '-c', OUTSIDE_PEER]);
  const [, child, ino] = (await bed.output.next(/^ready/)).split(' ').map(Number) as [number, number, number];
  bed.adopt(child);
  assert.ok(treeOf(parent).includes(child));
  const r = await ferry(['dump', '-t', String(child), '-D', bed.scratch.path('img')]);
  assertFailedWith(r, 'dump', new RegExp(`unsupported file descriptor \\d+: socket:\\[${ino}\\] of pid ${child} \\(a unix stream socket\\), whose peer socket:\\[\\d+\\] is outside the dumped tree \\(dump with --inherit-fd socket:\\[${ino}\\] to leave it out, then restore with --inherit-fd fd\\[N\\]:socket:\\[${ino}\\]\\)`));
  assert.equal(fs.existsSync(bed.scratch.path('img', 'records.log')), false);
  assert.ok(alive(child));
  const left = await dump(child, bed.scratch.path('img2'), ['--inherit-fd', `socket:[${ino}]`, '--leave-running']);
  assert.equal(left.status, 0);
  await restoreDetachedRefused(bed.scratch.path('img2'), ino);
});

/** A checkpoint that left the socket out cannot be restored without a replacement for it. */
async function restoreDetachedRefused(img: string, ino: number): Promise<void> {
  const r = await ferry(['restore', '-D', img, '-d']);
  assertFailedWith(r, 'restore', new RegExp(`socket:\\[${ino}\\] \\(fd \\d+ of pid \\d+\\) was left out of the checkpoint: restore with --inherit-fd fd\\[N\\]:socket:\\[${ino}\\]`));
}

bedTest('a --leave-running dump takes nothing out of the sockets: their queues are whole afterwards', async (bed) => {
  const dir = bed.scratch.path('socks');
  fs.mkdirSync(dir);
  const pid = bed.start([workload('unix-queues'), dir]);
  await bed.output.next(/^ready/);
  await dump(pid, bed.scratch.path('img'), ['--leave-running']);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

// A datagram socket connected to a bound one of its parent, outside the dumped tree; on SIGUSR1
// the child sends on it, and the parent prints what it receives.
const OUTSIDE_DGRAM = [
  'import os, signal, socket, time',
  'name = b"\\0ferry-ext-unix-sk-%d" % os.getpid()',
  'server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); server.bind(name)',
  'signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the dumped child is reaped when it dies',
  'pid = os.fork()',
  'if pid == 0:',
  '    server.close(); c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); c.connect(name)',
  '    signal.signal(signal.SIGUSR1, lambda *a: c.send(b"sent after restore"))',
  '    print("ready", os.getpid(), os.fstat(c.fileno()).st_ino, flush=True)',
  '    while True: time.sleep(1)',
  'while True: print("got", server.recv(100).decode(), flush=True)',
].join('\n');

bedTest('--ext-unix-sk keeps a datagram socket connected outside the tree: after restore it sends to the same peer', async (bed) => {
  bed.start(['python3', '-c', OUTSIDE_DGRAM]);
  const [, child, ino] = (await bed.output.next(/^ready/)).split(' ').map(Number) as [number, number, number];
  bed.adopt(child);
  const refused = await ferry(['dump', '-t', String(child), '-D', bed.scratch.path('refused')]);
  assertFailedWith(refused, 'dump', new RegExp(`socket:\\[${ino}\\] of pid ${child} \\(a unix datagram socket\\), whose peer socket:\\[\\d+\\] \\(@ferry-ext-unix-sk-\\d+\\) is outside the dumped tree \\(.*, or dump with --ext-unix-sk to reconnect it to its peer's address at restore\\)`));
  await dumpAndRestore(child, bed.scratch.path('img'), { dumpArgs: ['--ext-unix-sk'] });
  process.kill(child, 'SIGUSR1');
  assert.equal(await bed.output.next(/^got/), 'got sent after restore');
});
