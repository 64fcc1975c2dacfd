// eventfds and epoll instances: counters, modes, watch lists and their user data come back, and
// the program can still change its watches by fd number.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { workload, removeBuiltWorkloads, Scratch, launch, waitForLine, waitGone, killAll, ferryOk } from '@ferry/testbed';

after(removeBuiltWorkloads);

test('an epoll over a semaphore eventfd and a non-blocking one works on after restore', async () => {
  const scratch = new Scratch();
  const out = scratch.path('out');
  const pid = launch([workload('epoll')], { newSession: true, output: out });
  try {
    await waitForLine(out, /^ready/);
    await ferryOk(['dump', '-t', String(pid), '-D', scratch.path('img')]);
    await waitGone(pid);
    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    process.kill(pid, 'SIGUSR1');
    assert.equal(await waitForLine(out, /^check/), 'check ok');
  } finally {
    await killAll([pid]);
    scratch.remove();
  }
});
