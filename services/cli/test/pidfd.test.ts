// pidfds come back on the same processes, working, with their flags; and the descriptors ferry
// cannot carry (io_uring, userfaultfd, perf_event, a pidfd of a process outside the tree) make
// the dump fail in one line naming the fd and what it is, the process running on.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, bedTest, dump, restoreDetached, askCheck, ferry, assertFailedWith, waitUntil, waitGone, alive } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('a task holding pidfds of its child (dup\'d) and of itself gets them back on the same pids, working, with their flags', async (bed) => {
  const pid = bed.start([workload('pidfd')]);
  const child = bed.adopt(Number((await bed.output.next(/^ready child \d+$/)).split(' ')[2]));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  await dump(pid, bed.scratch.path('img'));
  await restoreDetached(bed.scratch.path('img'));
  assert.equal(await askCheck(pid, bed.output), 'check ok');
  assert.match(fs.readFileSync(`/proc/${child}/fdinfo/8`, 'utf8'), new RegExp(`^Pid:\\s*${pid}$`, 'm'), 'the child\'s pidfd is on its parent again');
  process.kill(pid, 'SIGUSR2');
  assert.equal(await bed.output.next(/^reaped child|pidfd:/), `reaped child ${child} through its pidfd`);
  await waitGone(child);
});

const ticks = (out: string) => fs.readFileSync(out, 'utf8').split('\n').filter((l) => l.startsWith('tick ')).length;

for (const [kind, what] of [
  ['io_uring', 'an io_uring instance: its rings and the requests in flight cannot be carried'],
  ['userfaultfd', 'a userfaultfd: its registered ranges and pending faults cannot be carried'],
  ['perf_event', 'a perf_event counter: not supported'],
] as const) {
  bedTest(`a ${kind} descriptor fails the dump naming the fd and what it is, and the process runs on`, async (bed) => {
    const pid = bed.start([workload('uncarried-fds'), kind]);
    const fd = Number((await bed.output.next(/^ready fd \d+$/)).split(' ')[2]);
    const r = await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('img')]);
    assertFailedWith(r, 'dump', `unsupported file descriptor ${fd}: anon_inode:[${kind}] (${what})`);
    const before = ticks(bed.output.file);
    await waitUntil('the process to tick on', () => ticks(bed.output.file) > before + 5);
    assert.ok(alive(pid));
    assert.equal(fs.existsSync(bed.scratch.path('img/records.log')), false, 'no image is left');
  });
}

bedTest('a pidfd of a process outside the dumped tree, or of one that ended, fails the dump naming it, and the tree runs on', async (bed) => {
  const pid = bed.start([workload('pidfd')]);
  const child = bed.adopt(Number((await bed.output.next(/^ready child \d+$/)).split(' ')[2]));
  const childAlone = await ferry(['dump', '-t', String(child), '-D', bed.scratch.path('img')]);
  assertFailedWith(childAlone, 'dump', `unsupported file descriptor 8: anon_inode:[pidfd] (a pidfd of pid ${pid}, which is outside the dumped tree: it cannot refer to it after restore)`);
  assert.equal(await askCheck(pid, bed.output), 'check ok');

  process.kill(pid, 'SIGUSR2');
  assert.equal(await bed.output.next(/^reaped child|pidfd:/), `reaped child ${child} through its pidfd`);
  const ended = await ferry(['dump', '-t', String(pid), '-D', bed.scratch.path('img')]);
  assertFailedWith(ended, 'dump', 'unsupported file descriptor 5: anon_inode:[pidfd] (a pidfd of a process that has ended or lives in another pid namespace: not supported yet)');
  process.kill(pid, 'SIGUSR2');
  assert.equal(await bed.output.next(/^reaped child|pidfd:/), 'kill through the pidfd: No such process');
});
