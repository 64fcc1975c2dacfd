// The planner on images made in memory: what it gives for a small tree, and the images it refuses
// before anything is made, with the messages users see. Needs no root and makes no process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileLockKind, RegFileType, VmaKind } from '@ferry/proto';
import { planRestore, KINDS } from '../src/index.js';
import { memoryImage, type SampleRecord } from './memory-image.js';
import { sampleTree, task, core, perProcess, fd, pages, vma, HEAP, LIBC, DEV_NULL, PIPE_READ, EPOLL } from './samples.js';

/** The sample tree with EDIT applied to its records. */
function edited(edit: (records: SampleRecord[]) => SampleRecord[]) {
  return memoryImage(edit(sampleTree()));
}

const without = (pred: (r: SampleRecord) => boolean) => (records: SampleRecord[]) => records.filter((r) => !pred(r));
const plus = (...more: SampleRecord[]) => (records: SampleRecord[]) => [...records, ...more];

test('the plan of a small tree: parents first, zombies apart, each thread with its core', () => {
  const plan = planRestore(memoryImage(sampleTree()));
  assert.equal(plan.root.task.pid, 100);
  assert.deepEqual(plan.tasks.map((t) => [t.task.pid, t.zombie]), [[100, false], [200, false], [300, true]]);
  assert.deepEqual(plan.live.map((t) => t.task.pid), [100, 200]);
  assert.deepEqual(plan.root.cores.map((c) => c.tid), [100, 101, 102]);
  assert.deepEqual(plan.leaderHelpers, []);
  assert.equal(plan.pageStorePath, '/nonexistent/ckpt-plan-test/pages.img');
});

test('every kind of the registry has its part, in the registry order', () => {
  const plan = planRestore(memoryImage(sampleTree()));
  assert.deepEqual(plan.kinds.map((k) => k.kind.name), KINDS.map((k) => k.name));
  // The openers of RESTORE_SHARED, in the order their participants run.
  assert.deepEqual(plan.kinds.filter((k) => k.part.open).map((k) => `${k.kind.name} files`),
    ['inherited files', 'dead-pid /proc files', 'regular files', 'ghost files', 'pipe files', 'eventfd files', 'timerfd files', 'signalfd files', 'inotify files', 'memfd files', 'sysvshm files', 'sysvsem files', 'sysvmsg files', 'inet-socket files', 'epoll files', 'tty files']);
  // A task's own work in RESTORE: memory, then fds, then the epoll watches on them, then attributes and handlers.
  assert.deepEqual(plan.kinds.filter((k) => k.part.perTask?.RESTORE).map((k) => k.kind.name), ['memory', 'fd', 'pidfd', 'epoll', 'procattrs', 'signals', 'filelock']);
  assert.deepEqual(plan.kinds.filter((k) => k.part.perThread?.RESTORE_SIGCHLD).map((k) => k.kind.name), ['signals']);
  assert.deepEqual(plan.kinds.filter((k) => k.part.perThread?.RESTORE_CREDS).map((k) => k.kind.name), ['posixtimers', 'itimers', 'creds']);
});

test('the scratch page keeps clear of every mapping of the live tasks', () => {
  const plan = planRestore(memoryImage(sampleTree()));
  const reserved = plan.kinds.flatMap((k) => k.part.reservedRanges ?? []).map((r) => [r.start, r.end]);
  assert.deepEqual(reserved, [[HEAP.start, HEAP.end], [LIBC.start, LIBC.end], [HEAP.start, HEAP.end], [LIBC.start, LIBC.end]]);
});

test('a terminal participant for each session leader with a pty, and /dev/tty reopened by the task that had it', () => {
  const image = edited(plus(
    { kind: 'tty', payload: { ...ttySample(5), sid: 100, pgrp: 100 } },
    { kind: 'tty', payload: { ...ttySample(6), sid: 0, pgrp: 0 } },
    { kind: 'ttyfile', payload: { id: 'file:pts5', index: 5, master: false, flags: 2, devTty: false } },
    { kind: 'ttyfile', payload: { id: 'file:dev-tty', index: 5, master: false, flags: 2, devTty: true } },
    fd(200, 7, 'file:pts5'),
    fd(200, 8, 'file:dev-tty'),
  ));
  const plan = planRestore(image);
  const built = { has: (pid: number) => pid === 100 || pid === 200, task: () => { throw new Error('not run here'); } };
  const participants = plan.kinds.flatMap((k) => k.part.participants?.RESTORE_SIGCHLD?.(built) ?? []);
  assert.deepEqual(participants.map((p) => p.name), ['terminal 5', '/dev/tty of task 200']);
});

test('bad images are refused before anything is made, naming the record', () => {
  const refusals: [string, (records: SampleRecord[]) => SampleRecord[], RegExp][] = [
    ['an fd naming a missing file', plus(fd(200, 9, 'file:nope')), /^image: fd fd:200:9 names file file:nope, which the image does not have$/],
    ['one fd number twice', plus(fd(100, 3, DEV_NULL)), /^image: pid 100 has fd 3 twice$/],
    ['two files with one id', plus({ kind: 'eventfd', payload: { id: DEV_NULL, count: 0n, semaphore: false, flags: 0 } }), /^image: two file records share one id$/],
    ['pages outside every mapping', plus(pages(200, 0x5000000n, 1)), /^image: pages pages:200:5000000 lie outside every mapping of pid 200$/],
    ['pages running past their mapping', plus(pages(100, HEAP.end - 0x1000n, 2)), /^image: pages pages:100:100f000 lie outside every mapping of pid 100$/],
    ['pages in a mapping that holds none', (r) => [...r.filter((x) => !(x.kind === 'vma' && x.payload.pid === 200 && x.payload.start === LIBC.start)), vma(200, LIBC, VmaKind.FILE_SHARED), pages(200, LIBC.start, 1)], /^image: pages pages:200:7f0000000000 lie in a mapping that holds no pages of its own \(FILE_SHARED\)$/],
    ['overlapping vmas', plus(vma(100, { start: HEAP.end - 0x1000n, end: HEAP.end + 0x1000n })), /^image: vma vma:100:1000000 overlaps the next mapping at 0x100f000$/],
    ['a task whose parent is not in the tree', plus(task(400, 999), core(400, 400), ...perProcess(400)), /^image: task task:400 has parent 999, which is not in the tree$/],
    ['no task for the root', without((r) => r.kind === 'pstree' && r.payload.pid === 100), /^image: the root pid 100 has no task record$/],
    ['a zombie root', (r) => r.map((x) => (x.kind === 'pstree' && x.payload.pid === 100 ? { ...x, payload: { ...x.payload, zombie: true } } : x)), /^image: the root pid 100 is a zombie$/],
    ['a zombie with children', plus(task(301, 300), core(301, 301), ...perProcess(301)), /^image: zombie 300 has children$/],
    ['a thread id in two tasks', plus(task(201, 100, { threads: [201, 101] })), /^image: a pid or thread id appears in two tasks$/],
    ['a thread without its core', without((r) => r.kind === 'core' && r.payload.tid === 102), /^image: pid 100 has 0 core \(thread 102\) records, expected 1$/],
    ['a core of another task', (r) => r.map((x) => (x.kind === 'core' && x.payload.tid === 200 ? { ...x, payload: { ...x.payload, pid: 100 } } : x)), /^image: core core:200 belongs to pid 100, not to pid 200$/],
    ['a task without its mm', without((r) => r.kind === 'mm' && r.payload.pid === 200), /^image: pid 200 has 0 mm records, expected 1$/],
    ['two signals records of a task', plus(perProcess(200)[0]!), /^image: pid 200 has 2 signals records, expected 1$/],
    ['an epoll owner that is not a live task', (r) => r.map((x) => (x.kind === 'eventpoll' ? { ...x, payload: { ...x.payload, ownerPid: 300 } } : x)), /^image: epoll file:epoll names owner 300, which is not a live task of the tree$/],
    ['an epoll its owner does not hold', without((r) => r.kind === 'fd' && r.payload.fileId === EPOLL), /^image: epoll file:epoll names owner 100, which does not hold it$/],
    ['an epoll watching an fd its owner lacks', without((r) => r.kind === 'fd' && r.payload.fileId === PIPE_READ), /^image: epoll file:epoll watches fd 3, which pid 100 does not have$/],
    ['a dead-pid remap onto a pid of the tree', (r) => r.map((x) => (x.kind === 'remap' ? { ...x, payload: { ...x.payload, pid: 4000 } } : x)).concat(task(4000, 100), core(4000, 4000), ...perProcess(4000)), /^image: remap remap:file:proc-4000 gives pid 4000 to a helper, but a task of the tree has it$/],
    ['a remap of a file outside its pid', (r) => r.map((x) => (x.kind === 'remap' ? { ...x, payload: { ...x.payload, pid: 4001 } } : x)), /^image: remap remap:file:proc-4000 is for pid 4001 but the file is \/proc\/4000$/],
    ['a memfd whose bytes no record carries', plus(memfd('file:memfd', Buffer.alloc(0))), /^image: memfd "log" \(inode 77\) has 3 bytes but none of its records carries them$/],
    ['a memfd whose bytes two records carry', plus(memfd('file:memfd', Buffer.from('abc')), memfd('file:memfd2', Buffer.from('abc'))), /^image: 2 records of memfd "log" \(inode 77\) carry its contents, at most one may$/],
    ['a memfd whose records disagree on its size', plus(memfd('file:memfd', Buffer.from('abc')), { ...memfd('file:memfd2', Buffer.alloc(0)), payload: { ...memfd('file:memfd2', Buffer.alloc(0)).payload, size: 4n } } as SampleRecord), /^image: the records of memfd "log" \(inode 77\) disagree on its size$/],
    ['a ghost file whose bytes no record carries', plus(ghost('file:ghost', Buffer.alloc(0))), /^image: ghost file \/tmp\/gone \(inode 78\) has 3 bytes but none of its records carries them$/],
    ['a ghost file whose bytes two records carry', plus(ghost('file:ghost', Buffer.from('abc')), ghost('file:ghost2', Buffer.from('abc'))), /^image: 2 records of ghost file \/tmp\/gone \(inode 78\) carry its contents, at most one may$/],
    ['a mapping of a file the image does not have', (r) => [...r.filter((x) => !(x.kind === 'vma' && x.payload.pid === 200 && x.payload.start === LIBC.start)), { ...vma(200, LIBC, VmaKind.FILE_SHARED), payload: { ...vma(200, LIBC, VmaKind.FILE_SHARED).payload, fileId: 'file:mapped:memfd:1:2' } } as SampleRecord], /^image: vma vma:200:7f0000000000 maps file file:mapped:memfd:1:2, which the image does not have$/],
    ['a deleted program whose ghost file the image lacks', (r) => r.map((x) => (x.kind === 'mm' && x.payload.pid === 200 ? { ...x, payload: { ...x.payload, exeFileId: 'file:mapped:ghost:1:2' } } : x)), /^image: mm mm:200 gives its program as file file:mapped:ghost:1:2, which is no ghost file of the image$/],
    ['a deleted program given as a memfd', (r) => [...r.map((x) => (x.kind === 'mm' && x.payload.pid === 200 ? { ...x, payload: { ...x.payload, exeFileId: 'file:memfd' } } : x)), memfd('file:memfd', Buffer.from('abc'))], /^image: mm mm:200 gives its program as file file:memfd, which is no ghost file of the image$/],
    ['a file lock on a descriptor its task lacks', plus(lock(100, 12, true)), /^image: the POSIX write lock \(bytes 0-9\) of pid 100 on fd 12 is on a descriptor pid 100 does not have$/],
    ['a file lock on a pipe', plus(fd(100, 10, PIPE_READ), lock(100, 10, false)), /^image: the POSIX shared lock \(bytes 0-9\) of pid 100 on fd 10 is on file:pipe-read, which is not a regular file$/],
    ['a write lock on a file open read-only', plus(dataFile(), fd(100, 10, 'file:data'), lock(100, 10, true)), /^image: the POSIX write lock \(bytes 0-9\) of pid 100 on fd 10 cannot be set on \/srv\/data, open read-only$/],
    ['a file lock of a zombie', plus(lock(300, 3, false)), /^image: the POSIX shared lock \(bytes 0-9\) of pid 300 on fd 3 belongs to no live task of the tree$/],
    ['a pidfd of a pid outside the tree', plus({ kind: 'pidfd', payload: { id: 'file:pidfd', pid: 999, flags: 2 } }, fd(100, 9, 'file:pidfd')), /^image: pidfd file:pidfd refers to pid 999, which is not a live task of the tree$/],
    ['a pidfd of a zombie', plus({ kind: 'pidfd', payload: { id: 'file:pidfd', pid: 300, flags: 2 } }, fd(100, 9, 'file:pidfd')), /^image: pidfd file:pidfd refers to pid 300, which is not a live task of the tree$/],
    ['a pidfd of a thread', plus({ kind: 'pidfd', payload: { id: 'file:pidfd', pid: 101, flags: 2 } }, fd(100, 9, 'file:pidfd')), /^image: pidfd file:pidfd refers to pid 101, which is not a live task of the tree$/],
    ['a remap naming a missing file', without((r) => r.kind === 'regfile' && r.payload.path === '/proc/4000'), /names file file:proc-4000, which the image does not have$/],
  ];
  for (const [what, edit, message] of refusals) {
    assert.throws(() => planRestore(edited(edit)), (e: Error) => message.test(e.message) || assert.fail(`${what}: got "${e.message}"`), what);
  }
});

function lock(pid: number, fdNumber: number, exclusive: boolean): SampleRecord {
  return { kind: 'filelock', payload: { pid, fd: fdNumber, kind: FileLockKind.POSIX, exclusive, start: 0n, length: 10n } };
}

function dataFile(): SampleRecord {
  return { kind: 'regfile', payload: { id: 'file:data', type: RegFileType.REGULAR, path: '/srv/data', flags: 0, pos: 0n, size: 10n, mode: 0o644, dev: 5n, ino: 7n, rdev: 0 } };
}

function memfd(id: string, contents: Buffer): SampleRecord {
  return { kind: 'memfd', payload: { id, name: 'log', flags: 2, pos: 0n, ino: 77n, size: 3n, contents, seals: 0, mode: 0o777 } };
}

function ghost(id: string, contents: Buffer): SampleRecord {
  return { kind: 'ghost', payload: { id, path: '/tmp/gone', flags: 2, pos: 0n, dev: 2049n, ino: 78n, size: 3n, contents, mode: 0o644 } };
}

function ttySample(index: number) {
  return {
    index, termios: Buffer.alloc(36), lockedTermios: Buffer.alloc(36), rows: 24, cols: 80, xpixel: 0, ypixel: 0, packetMode: false,
    locked: false, exclusive: false, uid: 0, gid: 5, mode: 0o620, sid: 0, pgrp: 0, hung: false, queuedInput: Buffer.alloc(0),
    queuedOutput: Buffer.alloc(0), external: false, lineEndsKnown: false, lineEnds: [], hasUnprocessed: false, unprocessedFrom: 0, packetStatus: 0,
  };
}
