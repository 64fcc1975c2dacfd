// Unix sockets inside the tree come back as they were: every type with messages queued both
// ways, bound to a path, to an abstract name or unbound, a listener with connections waiting in
// its accept queue, and who made each (SO_PEERCRED). What cannot come back fails the dump, and a
// path taken by something else fails the restore, leaving nothing behind.
import { after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import {
  workload, removeBuiltWorkloads, bedTest, dump, dumpAndRestore, restoreDetached, askCheck, ferry, assertFailedWith, alive, treeOf, sleep,
} from '@ferry/testbed';

after(removeBuiltWorkloads);

/**
 * A child whose session leader (its python parent) stays outside the dumped tree comes back in
 * ferry's session, where the bed does not look for it: it is killed when its test ends.
 */
const restoredChildren: number[] = [];
const ending = (pid: number) => restoredChildren.push(pid);
afterEach(() => {
  for (const pid of restoredChildren.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

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

/** What the server at ADDRESS (a path, or @NAME) says to a client outside the tree. */
const CLIENT = 'import socket, sys\na = sys.argv[1]\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(5)\ns.connect("\\0" + a[1:] if a[0] == "@" else a)\nsys.stdout.write(s.recv(100).decode())\n';
const answerTo = (address: string) => execFileSync('python3', ['-c', CLIENT, address], { encoding: 'utf8' });

for (const where of ['a path', 'an abstract name'] as const) bedTest(`a server on ${where} with an accepted connection and two waiting in its backlog serves them all after restore, and a new client too`, async (bed) => {
  const address = where === 'a path' ? bed.scratch.path('server.sock') : `@ferry-unix-server-${process.pid}-${Date.now()}`;
  const pid = bed.start([workload('unix-server'), address]);
  await bed.output.next(/^ready/);
  const tree = bed.adoptTree(pid);
  assert.equal(tree.length, 4);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.deepEqual(treeOf(pid), tree);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(answerTo(address), 'served\n');
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

// A socketpair whose one end stays with a parent outside the dumped tree (python's child is
// dumped); on SIGUSR1 the child sends on its end.
const OUTSIDE_PEER = [
  'import os, signal, socket, time',
  'signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the dumped child is reaped when it dies',
  'a, b = socket.socketpair()',
  'pid = os.fork()',
  'if pid == 0:',
  '    a.close()',
  '    signal.signal(signal.SIGUSR1, lambda *x: b.send(b"from the restored child"))',
  '    print("ready", os.getpid(), os.fstat(b.fileno()).st_ino, flush=True)',
  '    while True: time.sleep(1)',
  'b.close()',
  'while True: time.sleep(1)',
].join('\n');

bedTest('a socket whose peer is outside the tree fails the dump naming it and what to do, and the process carries on', async (bed) => {
  const parent = bed.start(['python3', '-c', OUTSIDE_PEER]);
  const [, child, ino] = (await bed.output.next(/^ready/)).split(' ').map(Number) as [number, number, number];
  bed.adopt(child);
  ending(child);
  assert.ok(treeOf(parent).includes(child));
  const r = await ferry(['dump', '-t', String(child), '-D', bed.scratch.path('img')]);
  assertFailedWith(r, 'dump', new RegExp(`unsupported file descriptor \\d+: socket:\\[${ino}\\] of pid ${child} \\(a unix stream socket\\), whose peer socket:\\[\\d+\\] is outside the dumped tree \\(dump with --inherit-fd socket:\\[${ino}\\] to leave it out, then restore with --inherit-fd fd\\[N\\]:socket:\\[${ino}\\]\\)`));
  assert.equal(fs.existsSync(bed.scratch.path('img', 'records.log')), false);
  assert.ok(alive(child));
});

/** A unix socket of ours connected to a server of ours at PATH; resolves with its fd and what the server reads. */
async function connectedSocket(path: string): Promise<{ fd: number; received: Promise<string>; close(): void }> {
  let resolveReceived!: (s: string) => void;
  const received = new Promise<string>((r) => (resolveReceived = r));
  const conns: net.Socket[] = [];
  const server = net.createServer((conn) => { conns.push(conn); conn.on('data', (d) => resolveReceived(String(d))); });
  await new Promise<void>((r) => server.listen(path, r));
  const client = net.createConnection(path);
  await new Promise((r) => client.on('connect', r));
  // The descriptor under node's socket, which ferry is handed (node keeps it open meanwhile).
  const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
  return { fd, received, close: () => { client.destroy(); for (const c of conns) c.destroy(); server.close(); } };
}

bedTest('a socket left out with --inherit-fd is refused at restore until a replacement is handed over, which the restored process then uses', async (bed) => {
  bed.start(['python3', '-c', OUTSIDE_PEER]);
  const [, child, ino] = (await bed.output.next(/^ready/)).split(' ').map(Number) as [number, number, number];
  bed.adopt(child);
  ending(child);
  const img = bed.scratch.path('img');
  await dump(child, img, ['--inherit-fd', `socket:[${ino}]`]);
  const refused = await ferry(['restore', '-D', img, '-d']);
  assertFailedWith(refused, 'restore', new RegExp(`socket:\\[${ino}\\] \\(fd \\d+ of pid ${child}\\) was left out of the checkpoint: restore with --inherit-fd fd\\[N\\]:socket:\\[${ino}\\]`));
  const replacement = await connectedSocket(bed.scratch.path('replacement.sock'));
  try {
    await restoreDetached(img, ['--inherit-fd', `fd[20]:socket:[${ino}]`], { fds: { 20: replacement.fd } });
    process.kill(child, 'SIGUSR1');
    const silence = sleep(10_000).then(() => 'nothing within 10 s');
    assert.equal(await Promise.race([replacement.received, silence]), 'from the restored child');
  } finally {
    replacement.close();
  }
});

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
  ending(child);
  const refused = await ferry(['dump', '-t', String(child), '-D', bed.scratch.path('refused')]);
  assertFailedWith(refused, 'dump', new RegExp(`socket:\\[${ino}\\] of pid ${child} \\(a unix datagram socket\\), whose peer socket:\\[\\d+\\] \\(@ferry-ext-unix-sk-\\d+\\) is outside the dumped tree \\(.*, or dump with --ext-unix-sk to reconnect it to its peer's address at restore\\)`));
  await dumpAndRestore(child, bed.scratch.path('img'), { dumpArgs: ['--ext-unix-sk'] });
  process.kill(child, 'SIGUSR1');
  assert.equal(await bed.output.next(/^got/), 'got sent after restore');
});
