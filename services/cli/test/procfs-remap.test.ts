// Files held open under /proc/PID of a process that died before the dump: restore reopens them
// through a helper with that pid, which is gone again once the restore ends, either way.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, Scratch, launch, waitForLine, waitGone, waitUntil, killAll, ferry, ferryOk, launchWithPid } from '@ferry/testbed';

after(removeBuiltWorkloads);

const reports = (out: string, when: string) => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith(`${when}:`)).map((l) => l.slice(when.length));
const deadPids = (out: string) => reports(out, 'before').map((l) => Number(/pid (\d+)/.exec(l)![1]));

async function dumpedWorkload(scratch: Scratch, deadChildren: number): Promise<{ pid: number; out: string; dead: number[] }> {
  const out = scratch.path('out');
  const pid = launch([workload('procremap'), String(deadChildren)], { newSession: true, output: out });
  await waitForLine(out, /^ready/);
  await ferryOk(['dump', '-t', String(pid), '-D', scratch.path('img')]);
  await waitGone(pid);
  return { pid, out, dead: deadPids(out) };
}

test('/proc files of dead processes read after restore as before: status gives ESRCH, mountinfo stays readable at its offset', async () => {
  const scratch = new Scratch();
  let pid = 0;
  try {
    const w = await dumpedWorkload(scratch, 2);
    pid = w.pid;
    const before = reports(w.out, 'before');
    assert.equal(before.length, 2);
    assert.match(before[0]!, /status=-1\/No such process mountinfo=64 pos=10/);

    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    for (const dead of w.dead) assert.equal(fs.existsSync(`/proc/${dead}`), false, `helper ${dead} is still there`);
    process.kill(pid, 'SIGUSR1');
    await waitUntil('the restored workload to report', () => reports(w.out, 'after').length === 2);
    assert.deepEqual(reports(w.out, 'after'), before);
  } finally {
    await killAll([pid]);
    scratch.remove();
  }
});

test('a restore whose remap helper pid is taken fails naming the pid, and leaves nothing behind', async () => {
  const scratch = new Scratch();
  const started: number[] = [];
  try {
    const w = await dumpedWorkload(scratch, 1);
    started.push(launchWithPid(w.dead[0]!));
    const r = await ferry(['restore', '-D', scratch.path('img'), '-d']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), new RegExp(`^ferry restore: .*pid ${w.dead[0]} is taken \\(by sleep\\).*/proc/${w.dead[0]}$`));
    assert.equal(fs.existsSync(`/proc/${w.pid}`), false, 'the workload must not be restored');
    assert.equal(fs.readFileSync(`/proc/${started[0]}/comm`, 'utf8'), 'sleep\n', 'the process holding the pid is untouched');
  } finally {
    await killAll(started);
    scratch.remove();
  }
});
