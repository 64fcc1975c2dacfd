// Credentials come back last and exactly: an unprivileged tree stays unprivileged, a root tree
// with a reduced bounding set keeps it reduced.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { removeBuiltWorkloads, bedTest, dumpAndRestore, waitUntil, readStat } from '@ferry/testbed';

after(removeBuiltWorkloads);

const CRED_FIELDS = ['Uid', 'Gid', 'Groups', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs'];

function credsOf(pid: number): Record<string, string> {
  const lines = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n');
  return Object.fromEntries(lines.map((l) => l.split(':\t')).filter(([k]) => CRED_FIELDS.includes(k!)).map(([k, v]) => [k, v!.trim()]));
}

const cases: [string, string[], (c: Record<string, string>) => void][] = [
  ['an unprivileged user with supplementary groups and no_new_privs',
    ['--reuid', '65534', '--regid', '65534', '--groups', '100,27', '--nnp'],
    (c) => {
      assert.equal(c.Uid, '65534\t65534\t65534\t65534');
      assert.equal(c.Groups, '27 100');
      assert.equal(c.CapEff, '0000000000000000');
      assert.equal(c.NoNewPrivs, '1');
    }],
  ['root without CAP_NET_RAW in its bounding set',
    ['--bounding-set', '-net_raw'],
    (c) => assert.notEqual(c.CapBnd, credsOf(process.pid).CapBnd)],
];

for (const [what, setprivArgs, expectBefore] of cases) {
  bedTest(`${what} comes back with the same credentials`, async (bed) => {
    const pid = bed.start(['setpriv', ...setprivArgs, 'sleep', '1000']);
    await waitUntil('setpriv to exec sleep', () => readStat(pid)?.comm === 'sleep');
    const before = credsOf(pid);
    expectBefore(before);
    await dumpAndRestore(pid, bed.scratch.path('img'));
    assert.deepEqual(credsOf(pid), before);
    assert.equal(readStat(pid)!.state, 'S', 'still sleeping');
  });
}
