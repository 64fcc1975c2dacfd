// inotify: every watch comes back on its path with its mask and the descriptor the program holds;
// an instance with events not yet read cannot be carried, and the dump says so and leaves it be.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, dumpAndRestore, askCheck, ferry, assertFailedWith, assertNothingLeft, alive, statusFields } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('inotify watches keep their paths, masks and descriptors across a restore', async (bed) => {
  const pid = bed.start([workload('inotify'), bed.scratch.path('watched')]);
  await bed.output.next(/^ready/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});

bedTest('an inotify with unread events makes the dump fail, and the program reads them on', async (bed) => {
  const pid = bed.start([workload('inotify'), bed.scratch.path('watched'), 'queued']);
  await bed.output.next(/^ready/);
  const fd = fs.readdirSync(`/proc/${pid}/fd`).find((n) => fs.readlinkSync(`/proc/${pid}/fd/${n}`) === 'anon_inode:inotify');
  const img = bed.scratch.path('img');
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', img]), 'dump',
    `unsupported file descriptor ${fd}: inotify with 32 bytes of events not yet read, which ferry cannot queue again`);
  assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
  assert.ok(alive(pid));
  assert.equal(statusFields(pid, ['TracerPid']).TracerPid, '0', 'no longer traced');
  assert.match(await askCheck(pid, bed.output), /^check failed: expected event 0x100 on wd 1 \(new-0\), got wd 1 0x100 queued$/, 'the queued event is still first in line');
});

bedTest('a restore whose watched directory is gone fails naming it, and leaves nothing', async (bed) => {
  const watched = bed.scratch.path('watched');
  const pid = bed.start([workload('inotify'), watched]);
  await bed.output.next(/^ready/);
  const img = bed.scratch.path('img');
  await dump(pid, img);
  fs.rmSync(`${watched}/sub`, { recursive: true });
  const r = await ferry(['restore', '-D', img, '-d']);
  assertFailedWith(r, 'restore', `inotify file:${pid}:3: ${watched}/sub, which its watch 4 watched, is gone`);
  assertNothingLeft('a restore missing a watched path', [pid], r.pid);
});
