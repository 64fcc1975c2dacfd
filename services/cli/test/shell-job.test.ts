// A shell job (a program started from an interactive shell in a terminal) is dumped with -j and
// restored with -j from the shell of another terminal, where it runs in the foreground again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ferryBin, Scratch, waitGone, waitUntil, killAll, readStat, ferry, ferryOk, Tmux } from '@ferry/testbed';

const ECHOER = `python3 -c "while True: print('got', input())"`;

test('a shell job dumped with -j comes back in the foreground of the terminal ferry restore runs in', async () => {
  const scratch = new Scratch();
  const first = new Tmux();
  const second = new Tmux();
  let job = 0;
  try {
    first.send(ECHOER);
    await waitUntil('the job to start', () => first.jobs().length === 1);
    job = first.jobs()[0]!;
    first.send('hello');
    await first.waitScreen('the job to answer', /^got hello$/m);

    const refused = await ferry(['dump', '-t', String(job), '-D', scratch.path('refused')]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, new RegExp(`^ferry dump: pid ${job} holds /dev/pts/\\d+, the controlling terminal of session ${first.shellPid()}, .*-j/--shell-job\\n$`));
    first.send('still here');
    await first.waitScreen('the job to go on', /^got still here$/m);

    const pgid = readStat(job)!.pgid;
    await ferryOk(['dump', '-j', '-t', String(job), '-D', scratch.path('img')]);
    await waitGone(job);
    second.send(`node ${ferryBin} restore -j -D ${scratch.path('img')}`);
    await waitUntil('the job to be restored', () => second.jobs().some((p) => readStat(p)?.comm === 'node') && readStat(job)?.state === 'S')
      .catch((e: Error) => { throw new Error(`${e.message}; the screen shows:\n${second.screen()}`); });
    assert.equal(readStat(job)!.pgid, pgid);
    second.send('world');
    await second.waitScreen('the restored job to answer', /^got world$/m);
  } finally {
    await killAll([job]);
    first.kill();
    second.kill();
    scratch.remove();
  }
});
