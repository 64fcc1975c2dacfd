// What a failed restore must not leave behind: any pid of the tree, or its restore stub.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ferry } from './ferry.js';

/** The seed stubs a ferry process with this pid started (they are named after it). */
export function stubsOf(ferryPid: number): number[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith(`ferry-restore-stub-${ferryPid}\0`);
    } catch {
      return false;
    }
  }).map(Number);
}

export function assertNothingLeft(what: string, treePids: number[], ferryPid: number): void {
  for (const pid of treePids) assert.equal(fs.existsSync(`/proc/${pid}`), false, `${what}: pid ${pid} left behind`);
  assert.deepEqual(stubsOf(ferryPid), [], `${what}: restore stub left behind`);
}

/**
 * Restores IMAGE (of a tree with TREE_PIDS, dumped) with FERRY_FAIL_STAGE set to each of STAGES
 * (the restorer's, which the caller passes: the testbed imports no product package) and to a few
 * participants: each restore must fail with one line naming the stage and leave nothing.
 */
export async function assertInjectedFailuresLeaveNothing(image: string, treePids: number[], stages: readonly string[], restoreArgs: string[] = []): Promise<void> {
  const failures = [...stages, 'FORKING:2', 'RESTORE:3', 'RESTORE_CREDS:1'];
  for (const failure of failures) {
    const r = await ferry(['restore', '-D', image, '-d', ...restoreArgs], { env: { FERRY_FAIL_STAGE: failure } });
    assert.notEqual(r.status, 0, `${failure}: restore should fail`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${failure}: one line of error, got ${r.stderr}`);
    assert.match(lines[0]!, new RegExp(`stage ${failure.split(':')[0]}: .*FERRY_FAIL_STAGE`));
    assertNothingLeft(failure, treePids, r.pid);
  }
}
