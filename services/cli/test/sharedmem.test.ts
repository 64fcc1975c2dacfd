// Shared memory between the processes of a tree: a POSIX shared memory object (a file on /dev/shm,
// mapped and open) and System V segments come back with their contents and stay shared, so a
// write of one process is seen by the other after the restore.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, dumpAndRestore, askCheck, ferry, assertFailedWith, assertNothingLeft, launch, alive, waitGone, waitUntil, type TestBed,
} from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('a POSIX shared memory object stays shared between parent and child, mapped and open, with its contents', async (bed) => {
  const name = `/ferry-test-${process.pid}`;
  try {
    const pid = bed.start([workload('sharedmem'), 'posix', name]);
    bed.adopt(Number((await bed.output.next(/^ready/)).split(' ')[1]));
    assert.equal(await askCheck(pid, bed.output), 'check ok', 'before the dump');
    await dumpAndRestore(pid, bed.scratch.path('img'));
    assert.equal(await askCheck(pid, bed.output), 'check ok');
    assert.equal(await askCheck(pid, bed.output), 'check ok', 'and again');
  } finally {
    fs.rmSync(`/dev/shm${name}`, { force: true });
  }
});

/** A System V key of this test run's own, so that runs and other tests do not meet. */
const sysvKey = (n: number) => `0x${(0x7e000000 + ((process.pid * 8 + n) & 0xffffff)).toString(16)}`;

function removeSegments(ids: number[]): void {
  for (const id of ids) spawnSync('ipcrm', ['-m', String(id)]);
}

/** The segments of the System V ids IDS that exist, as /proc/sysvipc/shm shows them: id -> [key, size, nattch]. */
function segments(ids: number[]): Map<number, string[]> {
  const rows = fs.readFileSync('/proc/sysvipc/shm', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  return new Map(rows.filter((f) => ids.includes(Number(f[1]))).map((f) => [Number(f[1]), [f[0]!, f[3]!, f[6]!]]));
}

async function startSysv(bed: TestBed, key: string): Promise<{ pid: number; ids: number[] }> {
  const pid = bed.start([workload('sharedmem'), 'sysv', key]);
  const [, child, id, privateId] = (await bed.output.next(/^ready/)).split(' ').map(Number);
  bed.adopt(child!);
  return { pid, ids: [id!, privateId!] };
}

bedTest('System V segments keep their ids, keys, sizes, modes and contents, and stay shared between the tasks attaching them', async (bed) => {
  let ids: number[] = [];
  try {
    const started = await startSysv(bed, sysvKey(1));
    ids = started.ids;
    assert.equal(await askCheck(started.pid, bed.output), 'check ok', 'before the dump');
    const img = bed.scratch.path('img');
    await dump(started.pid, img);
    // The segments outlive the dumped tree unless removed: the restore takes them over (same
    // key and size, nothing attached) and gives them the image's contents.
    assert.deepEqual([...segments(ids).values()].map((s) => s[2]), ['0', '0']);
    await restoreDetached(img);
    assert.equal(await askCheck(started.pid, bed.output), 'check ok', 'restored over the segments left behind');
    const img2 = bed.scratch.path('img2');
    await dump(started.pid, img2);
    removeSegments(ids);
    assert.equal(segments(ids).size, 0);
    await restoreDetached(img2);
    assert.equal(await askCheck(started.pid, bed.output), 'check ok', 'with the segments made again');
    assert.equal(await askCheck(started.pid, bed.output), 'check ok', 'and again');
  } finally {
    removeSegments(ids);
  }
});

bedTest('a restore whose System V key is held by another segment fails naming it, and leaves no process', async (bed) => {
  let ids: number[] = [];
  try {
    const key = sysvKey(2);
    const started = await startSysv(bed, key);
    ids = started.ids;
    const img = bed.scratch.path('img');
    await dump(started.pid, img);
    removeSegments(ids);
    // Another program takes the key meanwhile.
    const other = Number(execFileSync('python3', ['-c', `import ctypes; print(ctypes.CDLL(None).shmget(${key}, 4096, 0o1600))`], { encoding: 'utf8' }));
    assert.ok(other >= 0);
    ids.push(other);
    const r = await ferry(['restore', '-D', img, '-d']);
    assertFailedWith(r, 'restore', `System V key ${key} is held by segment ${other}, not by the image's segment ${started.ids[0]}`);
    assertNothingLeft('a restore whose key was taken', [started.pid], r.pid);
    // (the kernel may give the other program one of the image's freed ids)
    assert.deepEqual([...segments(started.ids).keys()].filter((id) => id !== other), [], 'no segment with the image ids made');
  } finally {
    removeSegments(ids);
  }
});

bedTest('a restore failing after it made the System V segments removes them, and a later restore makes them again', async (bed) => {
  let ids: number[] = [];
  try {
    const started = await startSysv(bed, sysvKey(3));
    ids = started.ids;
    const img = bed.scratch.path('img');
    await dump(started.pid, img);
    removeSegments(ids);
    const r = await ferry(['restore', '-D', img, '-d'], { env: { FERRY_FAIL_STAGE: 'RESTORE_SIGCHLD' } });
    assert.match(r.stderr, /^ferry restore: .*stage RESTORE_SIGCHLD: .*FERRY_FAIL_STAGE.*\n$/);
    assertNothingLeft('a restore failing after the segments were attached', [started.pid], r.pid);
    assert.equal(segments(ids).size, 0, 'the segments the restore made are gone');
    await restoreDetached(img);
    assert.equal(await askCheck(started.pid, bed.output), 'check ok');
  } finally {
    removeSegments(ids);
  }
});

bedTest('a System V segment the program had removed (IPC_RMID) while attached comes back attached and still removed', async (bed) => {
  let ids: number[] = [];
  try {
    const pid = bed.start([workload('sharedmem'), 'sysv', sysvKey(4), 'rmid']);
    const [, child, id, privateId] = (await bed.output.next(/^ready/)).split(' ').map(Number);
    bed.adopt(child!);
    ids = [id!, privateId!];
    assert.equal(await askCheck(pid, bed.output), 'check ok', 'before the dump');
    await dumpAndRestore(pid, bed.scratch.path('img'));
    assert.equal(await askCheck(pid, bed.output), 'check ok');
    const [key, , nattch] = segments([privateId!]).get(privateId!) ?? [];
    assert.deepEqual([key, nattch], ['0', '1'], 'the removed segment is attached by the child alone, with no key');
    process.kill(child!, 'SIGKILL'); // a zombie then, its parent does not wait: but its memory is gone
    await waitUntil('the removed segment goes with its last attach', () => segments([privateId!]).size === 0);
  } finally {
    removeSegments(ids);
  }
});

bedTest('a System V segment also attached outside the tree makes the dump fail naming it, and the tree goes on', async (bed) => {
  let ids: number[] = [];
  try {
    const started = await startSysv(bed, sysvKey(5));
    ids = started.ids;
    const [id] = ids;
    // Another process attaches the tree's segment and holds it.
    const outsider = bed.adopt(launch(['python3', '-c', `import ctypes, time; ctypes.CDLL(None).shmat(${id}, None, 0); print('attached', flush=True); time.sleep(60)`], { output: bed.scratch.path('outsider') }));
    await waitUntil('the outsider attached', () => segments([id!]).get(id!)?.[2] === '4');
    const img = bed.scratch.path('img');
    assertFailedWith(await ferry(['dump', '-t', String(started.pid), '-D', img]), 'dump',
      `System V segment ${id} (key ${sysvKey(5)}) is attached 4 times, 3 of them in the tree: a process outside it shares the segment`);
    assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
    assert.ok(alive(outsider));
    process.kill(outsider, 'SIGKILL');
    await waitGone(outsider);
    assert.equal(await askCheck(started.pid, bed.output), 'check ok', 'the tree goes on');
  } finally {
    removeSegments(ids);
  }
});

for (const what of ['sem', 'msg'] as const) {
  const name = what === 'sem' ? 'semaphore set' : 'message queue';
  bedTest(`without --sysv-ipc a System V ${name} the tree uses makes the dump fail naming it and the option, and the program goes on with it`, async (bed) => {
    const key = sysvKey(what === 'sem' ? 6 : 7);
    let id: number | undefined;
    try {
      const pid = bed.start([workload('sysv-sem-msg'), what, key]);
      id = Number((await bed.output.next(/^ready/)).split(' ')[1]);
      const img = bed.scratch.path('img');
      assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', img]), 'dump',
        `pid ${pid} uses System V ${name} ${id} (key ${key}): dump with --sysv-ipc to carry it`);
      assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
      assert.equal(await askCheck(pid, bed.output), 'check ok', 'the program goes on');
    } finally {
      if (id !== undefined) spawnSync('ipcrm', [what === 'sem' ? '-s' : '-q', String(id)]);
    }
  });
}
