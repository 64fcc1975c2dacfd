// A tmux server lives on unix sockets: its listener, where every tmux command connects, and its
// own socketpairs. Dumped with the shell in its window and restored, the next tmux command reaches
// it and sees the old screen, and the shell goes on.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { removeBuiltWorkloads, bedTest, dumpAndRestore, readStat, Tmux } from '@ferry/testbed';

after(removeBuiltWorkloads);

bedTest('a tmux server running bash comes back: a client attaching after restore sees the old screen and the shell answers', async (bed) => {
  const tmux = new Tmux();
  try {
    await tmux.waitScreen('the prompt', /^\$ ?$/m);
    tmux.send('echo before the dump: $((6 * 7))');
    await tmux.waitScreen('the first answer', /^before the dump: 42$/m);
    const server = readStat(tmux.shellPid())!.ppid;
    const tree = bed.adoptTree(server);
    await dumpAndRestore(server, bed.scratch.path('img'));
    assert.deepEqual(bed.adoptTree(server), tree);
    assert.match(tmux.screen(), /^\$ echo before the dump: \$\(\(6 \* 7\)\)\nbefore the dump: 42$/m);
    tmux.send('echo after restore: $((6 * 8))');
    await tmux.waitScreen('the answer after restore', /^after restore: 48$/m);
  } finally {
    tmux.kill();
  }
});
