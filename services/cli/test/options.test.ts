// --leave-running and --pidfile do what they say.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck, killAll, readStat, mapsOf, statusFields, Output } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('dump --leave-running leaves the process working, and its image restores once it is gone', async (bed) => {
  const pid = bed.start([workload('memory')]);
  await bed.output.next(/^ready/);
  const maps = mapsOf(pid);
  const img = bed.scratch.path('img');
  await dump(pid, img, ['--leave-running']);
  const outputAtDump = fs.readFileSync(bed.output.file);

  assert.equal(statusFields(pid, ['TracerPid']).TracerPid, '0', 'no longer traced');
  assert.deepEqual(mapsOf(pid), maps);
  assert.equal(await askCheck(pid, bed.output), 'check ok', 'the original still works');

  await killAll([pid]);
  // A restore wants the files it had open as they were at the dump: the original's verdict goes.
  fs.writeFileSync(bed.output.file, outputAtDump);
  await restoreDetached(img);
  assert.deepEqual(mapsOf(pid), maps);
  assert.equal(await askCheck(pid, new Output(bed.output.file)), 'check ok', 'the restored copy works');
});

bedTest('restore --pidfile writes the restored pid', async (bed) => {
  const pid = bed.start(['sleep', '1000']);
  await dump(pid, bed.scratch.path('img'));
  const pidfile = bed.scratch.path('pidfile');
  await restoreDetached(bed.scratch.path('img'), ['--pidfile', pidfile]);
  assert.equal(fs.readFileSync(pidfile, 'utf8'), `${pid}\n`);
  assert.equal(readStat(pid)?.comm, 'sleep');
});
