// Unix socket records that do not hang together are refused by the planner before anything is
// made, naming the record: a peer or a waiting connection the image does not have, a connection
// that is neither to a peer nor waiting, a socket no task holds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KindPayloads } from '@ferry/proto';
import { planRestore } from '../src/index.js';
import { Restoration } from '../src/restoration.js';
import { silentLog } from '../src/log.js';
import { memoryImage, type SampleRecord } from './memory-image.js';
import { sampleTree, fd } from './samples.js';

type UnixSocket = KindPayloads['unix-socket'];

function sock(id: string, ino: bigint, over: Partial<UnixSocket> = {}): UnixSocket {
  return {
    id, ino, type: 1, state: 1, flags: 2, name: Buffer.alloc(0), nameUnlinked: false, peerIno: 0n, peerName: Buffer.alloc(0), peerClosed: false,
    shutdown: 0, backlog: 0, acceptQueue: [], rcvbuf: 212992, sndbuf: 212992, passcred: false, passsec: false, peekOff: -1,
    rcvtimeoUs: 0n, sndtimeoUs: 0n, creatorPid: 100, queued: [], ...over,
  };
}

/** The sample tree, pid 100 holding each of SOCKETS at fds 20 and up (unless HELD says otherwise). */
function imageWith(sockets: UnixSocket[], held = sockets.map((s) => s.id)) {
  const records: SampleRecord[] = [...sampleTree(), ...sockets.map((payload) => ({ kind: 'unix-socket' as const, payload }))];
  held.forEach((id, i) => records.push(fd(100, 20 + i, id)));
  return memoryImage(records);
}

function refused(sockets: UnixSocket[], message: RegExp, held?: string[]): void {
  assert.throws(() => planRestore(imageWith(sockets, held)), (e: Error) => message.test(e.message) || assert.fail(`got "${e.message}"`));
}

const listener = (queue: bigint[]) => sock('file:l', 10n, { state: 10, name: Buffer.from('/run/s.sock'), backlog: 4, acceptQueue: queue });

test('a pair, a listener with a connection waiting, and an orphan plan with a unix sockets participant before the tasks', () => {
  const plan = planRestore(imageWith([
    sock('file:a', 1n, { peerIno: 2n }), sock('file:b', 2n, { peerIno: 1n }),
    listener([3n]), sock('file:c', 3n), sock('file:o', 4n, { peerClosed: true, queued: [{ data: Buffer.from('bye'), sender: Buffer.alloc(0) }] }),
  ]));
  const built = { has: () => true, task: () => { throw new Error('not run here'); } };
  assert.deepEqual(plan.kinds.flatMap((k) => k.part.participants?.RESTORE?.(built, new Map()) ?? []).map((p) => p.name), ['unix sockets']);
});

test('the sockets are made in RESTORE once every task exists, before any task takes its descriptors', () => {
  const image = imageWith([sock('file:a', 1n, { peerIno: 2n }), sock('file:b', 2n, { peerIno: 1n })]);
  const restoration = new Restoration(image, planRestore(image), { log: silentLog, inherited: new Map(), shellJob: false, foreground: false, consumePages: false });
  try {
    assert.deepEqual(restoration.tasks().map((p) => p.name).slice(0, 2), ['unix sockets', 'task 100']);
  } finally {
    restoration.close();
  }
});

test('a damaged link between unix sockets is refused naming the record', () => {
  refused([sock('file:a', 1n, { peerIno: 9n })], /^image: unix socket file:a \(socket:\[1\]\) names peer socket:\[9\], which the image does not have$/);
  refused([sock('file:a', 1n, { peerIno: 2n }), sock('file:b', 2n, { peerIno: 3n }), sock('file:c', 3n, { peerIno: 2n })], /^image: unix socket file:a \(socket:\[1\]\) is connected to socket:\[2\], which is connected elsewhere$/);
  refused([sock('file:a', 1n, { peerIno: 2n }), sock('file:b', 2n, { peerIno: 1n, type: 5 })], /is connected to socket:\[2\] of another type$/);
  refused([sock('file:a', 1n, { type: 2, peerIno: 2n }), sock('file:b', 2n, { type: 2, state: 7 })], /is connected to socket:\[2\], which has no address to reconnect to$/);
  refused([listener([3n])], /^image: unix socket file:l \(socket:\[10\]\) has socket:\[3\] waiting in its accept queue, which the image does not have$/);
  refused([listener([3n]), sock('file:c', 3n, { type: 5 })], /has socket:\[3\] waiting in its accept queue, which is no connecting socket of its type$/);
  refused([listener([3n]), sock('file:m', 11n, { state: 10, name: Buffer.from('/run/t.sock'), backlog: 1, acceptQueue: [3n] }), sock('file:c', 3n)], /which waits in another one too$/);
  refused([sock('file:c', 3n)], /^image: unix socket file:c \(socket:\[3\]\) is connected, but neither to a peer nor waiting in an accept queue$/);
  refused([sock('file:a', 1n, { state: 7 }), sock('file:b', 1n, { state: 7 })], /^image: unix socket file:b \(socket:\[1\]\) is in the image twice$/);
  refused([listener([]), sock('file:m', 11n, { state: 10, name: Buffer.from('/run/s.sock'), backlog: 1 })], /^image: two unix sockets listen on one address$/);
  refused([sock('file:a', 1n, { state: 7 })], /^image: unix socket file:a is held by no live task$/, []);
});
