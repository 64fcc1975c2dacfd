// Files held open under /proc/PID of a process that died before the dump: restore reopens them
// through a helper with that pid, which is gone again once the restore ends, either way.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, type TestBed, dump, restoreDetached, waitUntil, ferry, launchWithPid } from '@ferry/testbed';

after(removeBuiltWorkloads);

const reports = (out: string, when: string) => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith(`${when}:`)).map((l) => l.slice(when.length));
const deadPids = (out: string) => reports(out, 'before').map((l) => Number(/pid (\d+)/.exec(l)![1]));

async function dumpedWorkload(bed: TestBed, deadChildren: number): Promise<{ pid: number; out: string; dead: number[] }> {
  const out = bed.output.file;
  const pid = bed.start([workload('procremap'), String(deadChildren)]);
  await bed.output.next(/^ready/);
  await dump(pid, bed.scratch.path('img'));
  return { pid, out, dead: deadPids(out) };
}

bedTest('/proc files of dead processes read after restore as before: status gives ESRCH, mountinfo stays readable at its offset', async (bed) => {
  const w = await dumpedWorkload(bed, 2);
  const before = reports(w.out, 'before');
  assert.equal(before.length, 2);
  assert.match(before[0]!, /status=-1\/No such process mountinfo=64 pos=10/);

  await restoreDetached(bed.scratch.path('img'));
  for (const dead of w.dead) assert.equal(fs.existsSync(`/proc/${dead}`), false, `helper ${dead} is still there`);
  process.kill(w.pid, 'SIGUSR1');
  await waitUntil('the restored workload to report', () => reports(w.out, 'after').length === 2);
  assert.deepEqual(reports(w.out, 'after'), before);
});

bedTest('a restore whose remap helper pid is taken fails naming the pid, and leaves nothing behind', async (bed) => {
  const w = await dumpedWorkload(bed, 1);
  const holder = bed.adopt(launchWithPid(w.dead[0]!));
  const r = await ferry(['restore', '-D', bed.scratch.path('img'), '-d']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.trim(), new RegExp(`^ferry restore: .*pid ${w.dead[0]} is taken \\(by sleep\\).*/proc/${w.dead[0]}$`));
  assert.equal(fs.existsSync(`/proc/${w.pid}`), false, 'the workload must not be restored');
  assert.equal(fs.readFileSync(`/proc/${holder}/comm`, 'utf8'), 'sleep\n', 'the process holding the pid is untouched');
});
