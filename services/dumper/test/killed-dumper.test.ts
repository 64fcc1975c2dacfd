// A dumper killed at any point of a dump leaves the tree running as it was: registers, signal
// masks, memory map, handlers. The kills land before, during and after the injected calls that
// read handlers, alternate stacks, tid addresses and the program break, and inside page copies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Heartbeat } from '@ferry/testbed';

const dumper = path.join(path.dirname(new URL(import.meta.url).pathname), 'harness/dump-and-die.js');
const images = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-killed-dumper-'));
after(() => fs.rmSync(images, { recursive: true, force: true }));

interface Outcome { killed: boolean; ms?: number; kinds?: string[] }

/** Runs one dump in a process of its own; see harness/dump-and-die.ts for WHEN. */
function dumpAndDie(pid: number, when: string): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(images, 'img-'));
  const child = spawn(process.execPath, [dumper, String(pid), dir, when], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      fs.rmSync(dir, { recursive: true, force: true });
      if (signal === 'SIGKILL') resolve({ killed: true });
      else if (status === 0) resolve({ killed: false, ...JSON.parse(stdout) });
      else reject(new Error(`dump (${when}) exited ${status ?? signal}: ${stderr.trim()}`));
    });
  });
}

test('a dumper killed at any point leaves the process running unharmed', { timeout: 120_000 }, async () => {
  const hb = await Heartbeat.start();
  try {
    // The first dump pays for cold caches: the second says better how long one takes.
    await dumpAndDie(hb.pid, 'never');
    const whole = await dumpAndDie(hb.pid, 'never');
    await hb.assertUnharmed('two whole dumps');
    // As each record is handed over, up to the memory map: the handlers, each thread's core and
    // the mm record are each made by a batch of injected calls that has just ended.
    const kinds = whole.kinds!;
    assert.ok(kinds.includes('signals') && kinds.includes('mm'), `records made: ${kinds.join(' ')}`);
    const last = kinds.indexOf('vma') + 2;
    for (let n = 1; n <= last; n++) {
      const r = await dumpAndDie(hb.pid, `record:${n}`);
      await hb.assertUnharmed(`killed at record ${n} (${kinds[n - 1]})`);
      assert.ok(r.killed, `the dumper was to die at record ${n}`);
    }
    // At times spread over the whole dump, from its first steps to its release.
    const rounds = 24;
    let killed = 0;
    for (let i = 0; i < rounds; i++) {
      const us = Math.round(((i + Math.random()) / rounds) * whole.ms! * 1000 * 1.1);
      const r = await dumpAndDie(hb.pid, `after:${us}`);
      await hb.assertUnharmed(`killed after ${us} us`);
      if (r.killed) killed++;
    }
    assert.ok(killed >= rounds / 2, `only ${killed} of ${rounds} timed kills landed before the dump ended`);
  } finally {
    hb.stop();
  }
});
