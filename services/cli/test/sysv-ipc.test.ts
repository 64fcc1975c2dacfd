// System V semaphore sets and message queues the tree uses come back with --sysv-ipc: same ids
// and keys, every semaphore's value and every queued message, and parent and child go on using them.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck, ferry, assertFailedWith, assertNothingLeft, type TestBed } from '@ferry/testbed';

after(removeBuiltWorkloads);

/** System V keys of this test run's own, so that runs and other tests do not meet. */
const sysvKey = (n: number) => `0x${(0x7d000000 + ((process.pid * 8 + n) & 0xffffff)).toString(16)}`;

/** The objects of /proc/sysvipc/WHAT with those ids: id -> key. */
function present(what: 'sem' | 'msg', ids: number[]): Map<number, number> {
  const rows = fs.readFileSync(`/proc/sysvipc/${what}`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  return new Map(rows.filter((f) => ids.includes(Number(f[1]))).map((f) => [Number(f[1]), Number(f[0])]));
}

interface Started { pid: number; sem: number; msg: number }
const removeAll = (s: Started | undefined) => {
  if (!s) return;
  spawnSync('ipcrm', ['-s', String(s.sem)]);
  spawnSync('ipcrm', ['-q', String(s.msg)]);
};

async function start(bed: TestBed, n: number): Promise<Started> {
  const pid = bed.start([workload('sysv-carry'), sysvKey(n), sysvKey(n + 1)]);
  const [, child, sem, msg] = (await bed.output.next(/^ready/)).split(' ').map(Number);
  bed.adopt(child!);
  return { pid, sem: sem!, msg: msg! };
}

bedTest('with --sysv-ipc a semaphore set and a message queue come back with their ids, keys, values and queued messages, and parent and child go on using them', async (bed) => {
  let s: Started | undefined;
  try {
    s = await start(bed, 0);
    assert.equal(await askCheck(s.pid, bed.output), 'check ok', 'before the dump');
    const img = bed.scratch.path('img');
    assert.equal((await ferry(['dump', '-t', String(s.pid), '-D', img, '--sysv-ipc'])).status, 0);
    // Left behind by the dumped tree: the restore takes them over and refills them.
    await restoreDetached(img);
    assert.equal(await askCheck(s.pid, bed.output), 'check ok', 'restored over the objects left behind');
    const img2 = bed.scratch.path('img2');
    assert.equal((await ferry(['dump', '-t', String(s.pid), '-D', img2, '--sysv-ipc'])).status, 0);
    removeAll(s);
    assert.equal(present('sem', [s.sem]).size + present('msg', [s.msg]).size, 0);
    await restoreDetached(img2);
    assert.deepEqual([present('sem', [s.sem]).get(s.sem), present('msg', [s.msg]).get(s.msg)], [Number(sysvKey(0)), Number(sysvKey(1))], 'made again with their ids and keys');
    assert.equal(await askCheck(s.pid, bed.output), 'check ok', 'with the objects made again');
    assert.equal(await askCheck(s.pid, bed.output), 'check ok', 'and again');
  } finally {
    removeAll(s);
  }
});

bedTest('without --sysv-ipc the dump fails naming the option, and the tree goes on', async (bed) => {
  let s: Started | undefined;
  try {
    s = await start(bed, 2);
    assert.equal(await askCheck(s.pid, bed.output), 'check ok', 'before the dump');
    const img = bed.scratch.path('img');
    const r = await ferry(['dump', '-t', String(s.pid), '-D', img]);
    assert.match(r.stderr, new RegExp(`^ferry dump: pid \\d+ uses System V semaphore set ${s.sem} \\(key ${sysvKey(2)}\\): dump with --sysv-ipc to carry it\\n$`));
    assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
    assert.equal(await askCheck(s.pid, bed.output), 'check ok', 'the tree goes on');
  } finally {
    removeAll(s);
  }
});

bedTest('a restore whose message queue key is held by another queue fails in one line, leaving no process and no IPC object', async (bed) => {
  let s: Started | undefined;
  let other: number | undefined;
  try {
    s = await start(bed, 4);
    const img = bed.scratch.path('img');
    assert.equal((await ferry(['dump', '-t', String(s.pid), '-D', img, '--sysv-ipc'])).status, 0);
    removeAll(s);
    other = Number(execFileSync('python3', ['-c', `import ctypes; print(ctypes.CDLL(None).msgget(${sysvKey(5)}, 0o1600))`], { encoding: 'utf8' }));
    assert.ok(other >= 0);
    const r = await ferry(['restore', '-D', img, '-d']);
    assertFailedWith(r, 'restore', `System V key ${sysvKey(5)} is held by message queue ${other}, not by the image's queue ${s.msg}`);
    assertNothingLeft('a restore whose queue key was taken', [s.pid], r.pid);
    assert.equal(present('sem', [s.sem]).size, 0, 'the semaphore set the restore made is gone');
    assert.deepEqual([...present('msg', [s.msg]).keys()].filter((id) => id !== other), [], 'no queue with the image id made');
  } finally {
    removeAll(s);
    if (other !== undefined) spawnSync('ipcrm', ['-q', String(other)]);
  }
});
