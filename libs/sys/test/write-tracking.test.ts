import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ptrace, PTRACE_O, Injector, ProcMem, readMaps, spawnDetachedFromLibuv, waitFor, foldSyscallRestart,
  WriteTracker, trackableRanges, trackedRanges, type AddressRange,
} from '../src/index.js';

const PAGES = 64;
const source = path.join(path.dirname(new URL(import.meta.url).pathname), '../../test/programs/page-writer.c');

interface Writer {
  pid: number;
  region: bigint;
  tell(op: 'w' | 'k' | 'r', page: number, thread?: number): void;
  stop(): void;
}

function startWriter(dir: string): Writer {
  const bin = path.join(dir, 'page-writer');
  execFileSync('gcc', ['-O1', '-pthread', '-o', bin, source], { stdio: 'pipe' });
  const cmdPath = path.join(dir, 'cmd'), replyPath = path.join(dir, 'reply'), out = path.join(dir, 'out');
  execFileSync('mkfifo', [cmdPath, replyPath]);
  const pid = spawnDetachedFromLibuv(bin, ['page-writer', cmdPath, replyPath, String(PAGES), out]);
  const cmd = fs.openSync(cmdPath, 'w');
  const reply = fs.openSync(replyPath, 'r');
  const region = BigInt('0x' + fs.readFileSync(out, 'utf8').trim());
  return {
    pid,
    region,
    tell(op, page, thread = 0) {
      const c = Buffer.alloc(12);
      c.writeInt32LE(op.charCodeAt(0), 0);
      c.writeInt32LE(page, 4);
      c.writeInt32LE(thread, 8);
      fs.writeSync(cmd, c);
      assert.equal(fs.readSync(reply, Buffer.alloc(1)), 1, 'the writer died');
    },
    stop() {
      fs.closeSync(cmd);
      fs.closeSync(reply);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      waitFor(pid);
    },
  };
}

/** Seizes the main thread, arms tracking of its writable anonymous memory, lets it run on. */
function armIn(pid: number, keepInTaskFrom?: number): WriteTracker {
  ptrace.seize(pid, PTRACE_O.TRACESYSGOOD);
  ptrace.interrupt(pid);
  assert.equal(waitFor(pid).kind, 'stopped');
  const regs = ptrace.getRegs(pid);
  const mem = new ProcMem(pid, true);
  try {
    const vdso = readMaps(pid).find((m) => m.path === '[vdso]')!;
    const at = mem.read(vdso.start, Number(vdso.end - vdso.start)).indexOf(Buffer.from([0x0f, 0x05]));
    const inj = new Injector(pid, regs, vdso.start + BigInt(at), mem);
    return WriteTracker.arm(inj, trackableRanges(pid), keepInTaskFrom);
  } finally {
    ptrace.setRegs(pid, foldSyscallRestart(regs, false));
    ptrace.detach(pid);
    mem.close();
  }
}

function pagesOf(ranges: AddressRange[], region: bigint): number[] {
  const out: number[] = [];
  for (const r of ranges) {
    for (let a = r.start; a < r.end; a += 4096n) {
      if (a >= region && a < region + BigInt(PAGES) * 4096n) out.push(Number((a - region) / 4096n));
    }
  }
  return out;
}

function withWriter(body: (w: Writer) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-wt-'));
  const w = startWriter(dir);
  try {
    body(w);
  } finally {
    w.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a scan reports exactly the pages written since the last one, by any thread or by the kernel, and none when nothing was written', () => {
  withWriter((w) => {
    const tracker = armIn(w.pid);
    try {
      const tracked = trackedRanges(w.pid);
      assert.ok(tracked.some((r) => r.start <= w.region && r.end > w.region), 'the mapping is registered');
      assert.deepEqual(pagesOf(tracker.scan(tracked), w.region), [], 'nothing written since arming');
      // Populated and never-touched pages, from four threads, and one the kernel fills.
      w.tell('w', 3, 0);
      w.tell('w', 40, 1);
      w.tell('w', 41, 2);
      w.tell('w', 63, 3);
      w.tell('k', 10);
      // Reads do not count, neither of populated pages nor of untouched ones.
      w.tell('r', 5, 1);
      w.tell('r', 50, 2);
      assert.deepEqual(pagesOf(tracker.scan(tracked), w.region), [3, 10, 40, 41, 63]);
      assert.deepEqual(pagesOf(tracker.scan(tracked), w.region), [], 'the scan write-protected them again');
      w.tell('w', 3, 2);
      assert.deepEqual(pagesOf(tracker.scan(tracked), w.region), [3], 'a page written again is reported again');
    } finally {
      tracker.close();
    }
  });
});

test('tracking kept in the task outlives the tracker that armed it, and is taken back by its fd', () => {
  withWriter((w) => {
    const first = armIn(w.pid, 500);
    assert.ok(first.taskFd >= 500);
    assert.equal(fs.readlinkSync(`/proc/${w.pid}/fd/${first.taskFd}`), 'anon_inode:[userfaultfd]');
    first.close();
    w.tell('w', 7, 1);
    const again = WriteTracker.adopt(w.pid, first.taskFd);
    try {
      assert.deepEqual(pagesOf(again.scan(trackedRanges(w.pid)), w.region), [7]);
    } finally {
      again.close();
    }
    assert.throws(() => WriteTracker.adopt(w.pid, 0), /fd 0 is .*, not the userfaultfd of its pre-dump/);
  });
});

test('closing the last copy of the userfaultfd ends tracking: the mappings are no longer registered', () => {
  withWriter((w) => {
    const tracker = armIn(w.pid);
    assert.ok(trackedRanges(w.pid).length > 0);
    tracker.close();
    assert.deepEqual(trackedRanges(w.pid), []);
  });
});
