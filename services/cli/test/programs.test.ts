// Real programs carry on after a restore: sleep goes on sleeping (and ends, reported by ferry
// restore as its exit status), a python loop keeps counting from its in-memory state, and a
// dynamically linked program goes on calling into libc and the dynamic loader.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, restoreAttached, dumpAndRestore, askCheck, readStat, waitUntil, counterScript, counted, waitForCount, assertCountedWithoutRestart } from '@ferry/testbed';

after(removeBuiltWorkloads);

/** The syscall number a blocked process sits in (first field of /proc/PID/syscall). */
const syscallOf = (pid: number) => fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').split(' ')[0];

bedTest('sleep 1000 restored with -d is still sleeping in the same syscall', async (bed) => {
  const pid = bed.start(['sleep', '1000']);
  await waitUntil('sleep to sleep', () => readStat(pid)?.state === 'S');
  const before = readStat(pid);
  const sleepingIn = syscallOf(pid);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.deepEqual(readStat(pid), before);
  assert.equal(syscallOf(pid), sleepingIn);
  assert.deepEqual(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'), 'sleep\x001000\x00');
});

bedTest('ferry restore without -d waits for a restored sleep 2 and exits 0 with it', async (bed) => {
  const pid = bed.start(['sleep', '2']);
  await dump(pid, bed.scratch.path('img'));
  const end = await restoreAttached(bed.scratch.path('img'), bed.scratch.path('pid'));
  assert.deepEqual({ status: end.status, stderr: end.stderr }, { status: 0, stderr: '' });
  assert.equal(fs.existsSync(`/proc/${pid}`), false, 'sleep ended and ferry reaped it');
});

bedTest('ferry restore without -d exits with the restored program\'s status: 3, or 128+15 for SIGTERM', async (bed) => {
  const exiting = bed.start([workload('exit-with'), '3']);
  const sleeping = bed.start(['sleep', '1000']);
  await bed.output.next(/^ready/);
  await dump(exiting, bed.scratch.path('exiting'));
  await dump(sleeping, bed.scratch.path('sleeping'));
  const exited = await restoreAttached(bed.scratch.path('exiting'), bed.scratch.path('exiting.pid'), (pid) => process.kill(pid, 'SIGUSR1'));
  assert.equal(exited.status, 3, exited.stderr);
  const killed = await restoreAttached(bed.scratch.path('sleeping'), bed.scratch.path('sleeping.pid'), (pid) => process.kill(pid, 'SIGTERM'));
  assert.equal(killed.status, 128 + 15, killed.stderr);
});

bedTest('a python3 loop keeps counting from its in-memory state, appending to its file', async (bed) => {
  const file = bed.scratch.path('count');
  const pid = bed.start(['python3', counterScript, file]);
  await waitForCount(file, 5);
  await dump(pid, bed.scratch.path('img'));
  const atDump = counted(file).length;
  await restoreDetached(bed.scratch.path('img'));
  await waitForCount(file, atDump + 5);
  assertCountedWithoutRestart(file);
});

bedTest('a dynamically linked program calls into libc and dlopens libm after a restore', async (bed) => {
  const pid = bed.start([workload('libc-user')]);
  await bed.output.next(/^ready/);
  assert.match(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'), /\/libc\.so\.6$/m, 'linked with the shared libc');
  await dumpAndRestore(pid, bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
