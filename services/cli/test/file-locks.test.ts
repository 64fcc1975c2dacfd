// File locks (dump --file-locks): flock, POSIX record and OFD locks come back held by the same
// owners, as a prober outside the tree sees, and the restored owners can let them go and take
// them again; without the option a tree holding one is refused in one line; a lock someone else
// took since the dump fails the restore, leaving no process; a process waiting for a lock waits
// again after restore and gets it once it is free.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { script, workload, removeBuiltWorkloads, withCluster, startOnA, ferryOk, bedTest, dump, restoreDetached, ferry, assertFailedWith, assertNothingLeft, alive, waitAllGone, waitForLine, type TestBed } from '@ferry/testbed';

after(removeBuiltWorkloads);

const locks = () => workload('filelocks');

/** What a process outside the tree gets trying KIND on PATH's bytes START..START+LEN-1 without waiting. */
function probe(kind: string, path: string, start = 0, len = 0): string {
  return execFileSync(locks(), ['probe', kind, path, String(start), String(len)], { encoding: 'utf8' }).trim();
}

/** Every lock of `filelocks hold DIR`, as the prober sees it, with PID and CHILD its owners. */
function assertHeld(dir: string, pid: number, child: number, what: string): void {
  assert.deepEqual({
    flock: probe('flock', `${dir}/flock`),
    flockShared: probe('flock-shared', `${dir}/flock-shared`),
    flockSharedExclusive: probe('flock', `${dir}/flock-shared`),
    posixWrite: probe('posix', `${dir}/posix`, 10, 10),
    posixRead: probe('posix', `${dir}/posix`, 1000, 1),
    posixReadShared: probe('posix-read', `${dir}/posix`, 100, 1),
    childPosixRead: probe('posix', `${dir}/posix`, 55, 1),
    between: probe('posix', `${dir}/posix`, 20, 30),
    ofd: probe('ofd', `${dir}/ofd`, 4095, 1),
    afterOfd: probe('ofd', `${dir}/ofd`, 4096, 1),
  }, {
    flock: 'held', flockShared: 'free', flockSharedExclusive: 'held',
    posixWrite: `held by pid ${pid}`, posixRead: `held by pid ${pid}`, posixReadShared: 'free',
    childPosixRead: `held by pid ${child}`, between: 'free', ofd: 'held', afterOfd: 'free',
  }, what);
}

function assertReleased(dir: string, child: number): void {
  assert.deepEqual([probe('flock', `${dir}/flock`), probe('flock', `${dir}/flock-shared`), probe('posix', `${dir}/posix`, 10, 10), probe('posix', `${dir}/posix`, 100, 1), probe('ofd', `${dir}/ofd`, 0, 1), probe('posix', `${dir}/posix`, 55, 1)],
    ['free', 'free', 'free', 'free', 'free', `held by pid ${child}`], 'the parent let its locks go, the child still holds its own');
}

async function startHolder(bed: TestBed): Promise<{ pid: number; child: number; dir: string }> {
  const dir = bed.scratch.path('files');
  fs.mkdirSync(dir);
  const pid = bed.start([locks(), 'hold', dir]);
  const child = bed.adopt(Number((await bed.output.next(/^ready child \d+$|: /)).split(' ')[2]));
  return { pid, child, dir };
}

bedTest('flock, POSIX and OFD locks stay held through dump --leave-running and come back held by their owners after restore', async (bed) => {
  const { pid, child, dir } = await startHolder(bed);
  assertHeld(dir, pid, child, 'before the dump');

  const refused = await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('refused')]);
  assertFailedWith(refused, 'dump', `pid ${pid} holds a flock write lock on ${dir}/flock (fd 3 of pid ${pid}): dump with --file-locks to carry it`);
  assert.equal(fs.existsSync(bed.scratch.path('refused/records.log')), false, 'no image is left');
  assertHeld(dir, pid, child, 'after the refused dump');

  const img = bed.scratch.path('img');
  await dump(pid, img, ['--leave-running', '--file-locks']);
  assertHeld(dir, pid, child, 'after dump --leave-running');
  const shown = JSON.parse((await ferryOk(['show', img, '--json'])).stdout) as { tasks: { pid: number; locks: { fd: number; lock: string }[] }[] };
  assert.deepEqual(shown.tasks.map((t) => [t.pid, t.locks]), [
    [pid, [{ fd: 3, lock: 'flock write lock' }, { fd: 4, lock: 'flock shared lock' }, { fd: 5, lock: 'POSIX write lock (bytes 10-19)' }, { fd: 5, lock: 'POSIX shared lock (from byte 100 to the end)' }, { fd: 6, lock: 'OFD write lock (bytes 0-4095)' }]],
    [child, [{ fd: 5, lock: 'POSIX shared lock (bytes 50-59)' }]],
  ], 'ferry show lists each lock once, the OFD lock shared by two descriptors and two processes too');

  process.kill(child, 'SIGKILL');
  process.kill(pid, 'SIGKILL');
  await waitAllGone([pid, child]);
  assert.deepEqual([probe('flock', `${dir}/flock`), probe('posix', `${dir}/posix`, 10, 10)], ['free', 'free'], 'the killed tree\'s locks went with it');

  await restoreDetached(img);
  assertHeld(dir, pid, child, 'after restore');
  process.kill(pid, 'SIGUSR2');
  assert.equal(await bed.output.next(/^released|: /), 'released');
  assertReleased(dir, child);
  process.kill(pid, 'SIGUSR2');
  assert.equal(await bed.output.next(/^retaken|: /), 'retaken');
  assertHeld(dir, pid, child, 'after the restored process took them again');
});

bedTest('a lock another process took since the dump fails the restore in one line naming it, leaving no process', async (bed) => {
  const { pid, child, dir } = await startHolder(bed);
  const img = bed.scratch.path('img');
  await dump(pid, img, ['-l']);
  const grabber = bed.start([locks(), 'grab', 'posix', `${dir}/posix`], { output: bed.scratch.path('grabber') });
  await waitForLine(bed.scratch.path('grabber'), /^grabbed$/);

  const r = await ferry(['restore', '-D', img, '-d']);
  assertFailedWith(r, 'restore', `pid ${pid} cannot take its POSIX write lock (bytes 10-19) on ${dir}/posix (fd 5) again: another process holds a conflicting lock on it now`);
  assertNothingLeft('the refused restore', [pid, child], r.pid);
  assert.equal(probe('flock', `${dir}/flock`), 'free', 'the flock the restore took before it failed is let go');

  process.kill(grabber, 'SIGKILL');
  await waitAllGone([grabber]);
  await restoreDetached(img);
  assertHeld(dir, pid, child, 'restored once the file was free');
});

bedTest('a flock held through a mapping alone (its descriptor closed) fails the dump in one line naming it, with or without --file-locks, and the process keeps it', async (bed) => {
  const file = bed.scratch.path('mapped');
  const pid = bed.start([locks(), 'mapped', file]);
  assert.equal(await bed.output.next(/^ready$|: /), 'ready');
  for (const flags of [[], ['--file-locks']]) {
    const r = await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('img'), ...flags]);
    assertFailedWith(r, 'dump', `pid ${pid} holds a flock write lock on ${file} through no descriptor of the tree (a mapping or a descriptor in flight): not supported yet`);
  }
  assert.ok(alive(pid));
  assert.equal(probe('flock', file), 'held');
});

for (const [kind, how] of [['posix', 'F_SETLKW'], ['flock', 'flock LOCK_EX']] as const) {
  bedTest(`a process waiting for a lock (${how}) waits again after restore and takes it once the holder lets go`, async (bed) => {
    const file = bed.scratch.path('contended');
    const grabber = bed.start([locks(), 'grab', kind, file], { output: bed.scratch.path('grabber') });
    await waitForLine(bed.scratch.path('grabber'), /^grabbed$/);
    const waiter = bed.start([locks(), 'wait', kind, file]);
    assert.equal(await bed.output.next(/^waiting|: /), 'waiting');
    await dump(waiter, bed.scratch.path('img'), ['-l']);
    await restoreDetached(bed.scratch.path('img'));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(probe(kind, file, 0, 1), kind === 'posix' ? `held by pid ${grabber}` : 'held', 'the outside holder still has it');
    assert.ok(alive(waiter), 'the restored waiter runs');
    assert.doesNotMatch(fs.readFileSync(bed.output.file, 'utf8'), /locked/, 'and has not got it');
    process.kill(grabber, 'SIGKILL');
    assert.equal(await bed.output.next(/^locked|: /), 'locked');
    assert.equal(probe(kind, file, 0, 1), kind === 'posix' ? `held by pid ${waiter}` : 'held');
  });
}

const wrote = (line: string) => Number(line.split(' ')[1]);

/** What a reader outside the tree finds in the database: "N rows ok" or what is wrong. */
const readDatabase = (db: string) => execFileSync('python3', [script('sqlite-reader.py'), db], { encoding: 'utf8' }).trim();

bedTest('a python program writing to sqlite in WAL mode writes on after dump --file-locks and restore, and readers outside see every row', async (bed) => {
  const db = bed.scratch.path('db');
  const pid = bed.start(['python3', script('sqlite-writer.py'), db]);
  await bed.output.next(/^wrote 30$/);

  const refused = await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('refused')]);
  assertFailedWith(refused, 'dump', new RegExp(`pid ${pid} holds a POSIX (shared|write) lock \\(bytes \\d+-\\d+\\) on ${db}(-shm)? \\(fd \\d+ of pid ${pid}\\): dump with --file-locks to carry it`));
  const afterRefusal = wrote(await bed.output.next(/^wrote \d+$/));
  assert.equal(wrote(await bed.output.next(/^wrote \d+$/)), afterRefusal + 10, 'the refused dump left the writer writing');

  await dump(pid, bed.scratch.path('img'), ['--file-locks']);
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(probe('posix', `${db}-shm`, 128, 1), `held by pid ${pid}`, 'the restored writer holds its connection\'s lock on the wal-index again');
  const restoredAt = wrote(await bed.output.next(/^wrote \d+$/));
  for (let i = 0; i < 3; i++) {
    assert.match(readDatabase(db), /^\d+ rows ok$/, 'a reader outside the tree, while the writer runs');
    await bed.output.next(/^wrote \d+$/);
  }
  process.kill(pid, 'SIGUSR1');
  assert.match(await bed.output.next(/^read |^row /), /^read \d+ rows ok$/, 'the restored writer reads back every row');
  const later = wrote(await bed.output.next(/^wrote \d+$/));
  assert.ok(later > restoredAt + 20, `it writes more rows (${restoredAt} then ${later})`);
  const finalCount = Number(readDatabase(db).split(' ')[0]);
  assert.ok(finalCount >= later, `the reader sees the ${later} rows written so far (${finalCount})`);
});

test('ferry checkpoint -l on a host\'s agent records the locks of a tree that keeps them (-R), restorable with them; without -l the job fails naming the lock', () => withCluster({}, async (c) => {
  const dir = c.scratch.path('files');
  fs.mkdirSync(dir);
  const out = c.scratch.path('holder-out');
  const pid = startOnA(c, [locks(), 'hold', dir], out);
  const child = Number((await waitForLine(out, /^ready child \d+$/)).split(' ')[2]);
  c.started.push(child);

  const refused = await ferry(['checkpoint', '--host', 'a', '--pid', String(pid), '--leave-running'], { env: c.env });
  assert.equal(refused.stderr, `ferry checkpoint: pid ${pid} on a: pid ${pid} holds a flock write lock on ${dir}/flock (fd 3 of pid ${pid}): dump with --file-locks to carry it\n`);
  const id = (await ferryOk(['checkpoint', '--host', 'a', '--pid', String(pid), '--leave-running', '--file-locks'], { env: c.env })).stdout.trim();
  assertHeld(dir, pid, child, 'after the checkpoint, by the tree left running');

  process.kill(child, 'SIGKILL');
  process.kill(pid, 'SIGKILL');
  await waitAllGone([pid, child]);
  await ferryOk(['restore', '--checkpoint', id, '-d'], { env: c.env });
  assertHeld(dir, pid, child, 'restored from the checkpoint');
}));
