// A shell job (a program started from an interactive shell in a terminal) is dumped with -j and
// restored with -j from the shell of another terminal, where it runs in the foreground again.
import assert from 'node:assert/strict';
import { ferryBin, bedTest, dump, waitUntil, readStat, ferry, Tmux } from '@ferry/testbed';

const ECHOER = `python3 -c "while True: print('got', input())"`;

bedTest('a shell job dumped with -j comes back in the foreground of the terminal ferry restore runs in', async (bed) => {
  const first = new Tmux();
  const second = new Tmux();
  try {
    first.send(ECHOER);
    await waitUntil('the job to start', () => first.jobs().length === 1);
    const job = bed.adopt(first.jobs()[0]!);
    first.send('hello');
    await first.waitScreen('the job to answer', /^got hello$/m);

    const refused = await ferry(['dump', '-t', String(job), '-D', bed.scratch.path('refused')]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, new RegExp(`^ferry dump: pid ${job} holds /dev/pts/\\d+, the controlling terminal of session ${first.shellPid()}, .*-j/--shell-job\\n$`));
    first.send('still here');
    await first.waitScreen('the job to go on', /^got still here$/m);

    const pgid = readStat(job)!.pgid;
    await dump(job, bed.scratch.path('img'), ['-j']);
    second.send(`node ${ferryBin} restore -j -D ${bed.scratch.path('img')}`);
    await waitUntil('the job to be restored', () => second.jobs().some((p) => readStat(p)?.comm === 'node') && readStat(job)?.state === 'S')
      .catch((e: Error) => { throw new Error(`${e.message}; the screen shows:\n${second.screen()}`); });
    // Restored into the session of the second terminal: the bed kills it there.
    bed.adopt(job);
    assert.equal(readStat(job)!.pgid, pgid);
    second.send('world');
    await second.waitScreen('the restored job to answer', /^got world$/m);
  } finally {
    first.kill();
    second.kill();
  }
});
