// A dump that cannot be done says why in one line, leaves no image, and leaves the process as it
// was: running, untraced, with the same memory map.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { removeBuiltWorkloads, bedTest, ferry, assertFailedWith, waitGone, alive, mapsOf, statusFields, counterScript, counted, waitForCount, assertCountedWithoutRestart } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('dump of a pid that does not exist fails naming the pid', async (bed) => {
  const pid = bed.start(['sleep', '1000']);
  process.kill(pid, 'SIGKILL');
  await waitGone(pid);
  const img = bed.scratch.path('img');
  assertFailedWith(await ferry(['dump', '-t', String(pid), '-D', img]), 'dump', `no process with pid ${pid}`);
  assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
});

bedTest('dump of a process holding a socket fails on that descriptor, and the process carries on untouched', async (bed) => {
  const file = bed.scratch.path('count');
  const pid = bed.start(['python3', counterScript, file, '--hold-socket']);
  await waitForCount(file, 3);
  const socketFd = fs.readdirSync(`/proc/${pid}/fd`).find((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:'))!;
  const mapsBefore = mapsOf(pid);
  const img = bed.scratch.path('img');

  const result = await ferry(['dump', '-t', String(pid), '-D', img]);
  assertFailedWith(result, 'dump', new RegExp(`unsupported file descriptor ${socketFd}: socket:\\[\\d+\\] \\(a socket\\)`));
  assert.equal(fs.existsSync(`${img}/records.log`), false, 'no image');
  assert.ok(alive(pid));
  assert.equal(statusFields(pid, ['TracerPid']).TracerPid, '0', 'no longer traced');
  assert.deepEqual(mapsOf(pid), mapsBefore);
  await waitForCount(file, counted(file).length + 3);
  assertCountedWithoutRestart(file);
});
