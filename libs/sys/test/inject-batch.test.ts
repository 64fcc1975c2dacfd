import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  ptrace, PTRACE_O, Injector, ProcMem, readMaps, spawnDetachedFromLibuv, waitFor, SYS, runCalls, writeScratchCode,
  useScratchCode, BatchError, NOT_RUN, type BatchCall,
} from '../src/index.js';

// Tables of injected calls in a traced sleep: both with the runner in a scratch page (one stop a
// table) and without it (one call at a time), which must mean the same.

const SCRATCH = 65536;
const F_GETFD = 1, FD_CLOEXEC = 1, O_CLOEXEC = 0o2000000, SYS_pipe2 = 293;

function withTracedSleep(withRunner: boolean, body: (inj: Injector, pid: number) => void): void {
  const pid = spawnDetachedFromLibuv('/bin/sleep', ['sleep', '1000']);
  const mem = new ProcMem(pid, true);
  try {
    ptrace.seize(pid, PTRACE_O.TRACESYSGOOD);
    ptrace.interrupt(pid);
    assert.equal(waitFor(pid).kind, 'stopped');
    const vdso = readMaps(pid).find((m) => m.path === '[vdso]')!;
    const at = mem.read(vdso.start, Number(vdso.end - vdso.start)).indexOf(Buffer.from([0x0f, 0x05]));
    const inj = new Injector(pid, ptrace.getRegs(pid), vdso.start + BigInt(at), mem);
    const page = inj.call('mmap', SYS.mmap, 0, SCRATCH, 7, 0x22, -1, 0);
    inj.scratch = { addr: page, size: SCRATCH };
    if (withRunner) {
      inj.syscallAddr = writeScratchCode(mem, page);
      useScratchCode(inj, page);
    } else inj.scratchBase = 256;
    body(inj, pid);
  } finally {
    mem.close();
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    for (;;) {
      const w = waitFor(pid);
      if (w.kind === 'exited' || w.kind === 'signaled') break;
      try { ptrace.resume(7, pid); } catch { /* dying */ }
    }
  }
}

/** Moves a new pipe's read end to fd TO: dup3 skipped when it is there already. */
const pipeTo = (to: number): BatchCall[] => [
  { name: 'pipe2', nr: SYS_pipe2, args: [{ out: 8 }, 0] },
  { name: `dup3 to ${to}`, nr: SYS.dup3, args: [{ outOf: 0, offset: 0 }, to, O_CLOEXEC], skipIfSame: true },
  { name: 'close', nr: SYS.close, args: [{ outOf: 0, offset: 0 }, to], skipIfSame: true, mayFail: true },
  { name: 'close write end', nr: SYS.close, args: [{ outOf: 0, offset: 4 }] },
];

for (const withRunner of [true, false]) {
  const how = withRunner ? 'in one stop a table' : 'one call at a time';
  test(`a table of dependent calls puts descriptors where asked, ${how}`, () => withTracedSleep(withRunner, (inj, pid) => {
    // The runner's closing int3 must not leave SIGTRAP unblocked in a task that blocks everything.
    ptrace.setSigmask(pid, 0xffffffffffffffffn);
    // 400 groups do not fit one table: they go in several, in order.
    const targets = Array.from({ length: 400 }, (_, i) => 100 + i);
    const done = runCalls(inj, targets.map(pipeTo));
    assert.equal(done.length, 400);
    for (const [i, fd] of targets.entries()) {
      assert.match(fs.readlinkSync(`/proc/${pid}/fd/${fd}`), /^pipe:\[\d+\]$/);
      const fds = done[i]![0]!.out!;
      assert.equal(done[i]![1]!.ret, BigInt(fd), 'dup3 returned the target');
      assert.ok(!fs.existsSync(`/proc/${pid}/fd/${fds.readInt32LE(0)}`) || fds.readInt32LE(0) >= 100, 'the first copy was closed');
      assert.ok(!fs.existsSync(`/proc/${pid}/fd/${fds.readInt32LE(4)}`) || fds.readInt32LE(4) >= 100, 'the write end was closed');
    }
    assert.equal(ptrace.getSigmask(pid), 0xffffffffffffffffn & ~((1n << 8n) | (1n << 18n)), 'the mask as it was (SIGKILL and SIGSTOP cannot be blocked)');
    assert.equal(fs.readdirSync(`/proc/${pid}/fd`).map(Number).filter((fd) => fd >= 3 && fd < 100).length, 0, 'nothing left below the targets');
    // A pipe that lands where it belongs: dup3 and its close are skipped, the result says so.
    const lowest = Math.min(...Array.from({ length: 100 }, (_, i) => i).filter((fd) => !fs.existsSync(`/proc/${pid}/fd/${fd}`)));
    const [same] = runCalls(inj, [pipeTo(lowest)]);
    assert.equal(same![0]!.out!.readInt32LE(0), lowest);
    assert.equal(same![1]!.ret, NOT_RUN);
    assert.equal(same![2]!.ret, NOT_RUN);
    assert.ok(fs.existsSync(`/proc/${pid}/fd/${lowest}`));
    const [flags] = runCalls(inj, [[{ name: 'fcntl', nr: SYS.fcntl, args: [100, F_GETFD] }]]);
    assert.equal(flags![0]!.ret, BigInt(FD_CLOEXEC));
  }));

  test(`the first failed call stops the table and is named, with what ran before it, ${how}`, () => withTracedSleep(withRunner, (inj, pid) => {
    const groups: BatchCall[][] = [pipeTo(200), [{ name: 'close of fd 999', nr: SYS.close, args: [999] }], pipeTo(201)];
    let caught: unknown;
    try {
      runCalls(inj, groups);
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof BatchError, String(caught));
    assert.match(caught.message, /^close of fd 999 in task \d+: EBADF$/);
    assert.equal(caught.done.length, 2);
    assert.equal(caught.done[0]![1]!.ret, 200n);
    assert.ok(fs.existsSync(`/proc/${pid}/fd/200`));
    assert.ok(!fs.existsSync(`/proc/${pid}/fd/201`), 'nothing after the failure ran');
    // A call that may fail does not stop the table.
    const [r] = runCalls(inj, [[{ name: 'close', nr: SYS.close, args: [999], mayFail: true }, { name: 'getpid', nr: SYS.getpid, args: [] }]]);
    assert.equal(r![0]!.ret, -9n);
    assert.equal(r![1]!.ret, BigInt(pid));
  }));
}

test('a group that takes the result of a later call, or does not fit the scratch page, is refused before anything runs', () => withTracedSleep(true, (inj) => {
  assert.throws(() => runCalls(inj, [[{ name: 'close', nr: SYS.close, args: [{ result: 0 }] }]]), /close takes a result of a call not before it/);
  assert.throws(() => runCalls(inj, [[{ name: 'write', nr: SYS.write, args: [1, { data: Buffer.alloc(SCRATCH) }, SCRATCH] }]]), /needs more than the scratch space/);
}));
