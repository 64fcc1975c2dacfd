import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  ptrace, PTRACE_O, Injector, ProcMem, readMaps, spawnDetachedFromLibuv, waitFor, SYS, getReg, foldSyscallRestart,
  setReg, readStat,
} from '../src/index.js';

function startSleeper(): number {
  return spawnDetachedFromLibuv('/bin/sleep', ['sleep', '1000']);
}

function stopAndKill(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  for (;;) {
    const w = waitFor(pid);
    if (w.kind === 'exited' || w.kind === 'signaled') return;
    try { ptrace.resume(7, pid); } catch { /* dying */ }
  }
}

function seizeStopped(pid: number): void {
  ptrace.seize(pid, PTRACE_O.TRACESYSGOOD);
  ptrace.interrupt(pid);
  assert.equal(waitFor(pid).kind, 'stopped');
}

function vdsoSyscall(pid: number, mem: ProcMem): bigint {
  const vdso = readMaps(pid).find((m) => m.path === '[vdso]')!;
  const at = mem.read(vdso.start, Number(vdso.end - vdso.start)).indexOf(Buffer.from([0x0f, 0x05]));
  assert.ok(at >= 0);
  return vdso.start + BigInt(at);
}

test('a syscall injected into a traced task runs as that task and leaves it able to continue', async () => {
  const pid = startSleeper();
  try {
    await new Promise((r) => setTimeout(r, 50));
    seizeStopped(pid);
    const regs = ptrace.getRegs(pid);
    const mem = new ProcMem(pid, true);
    const inj = new Injector(pid, regs, vdsoSyscall(pid, mem), mem);
    assert.equal(inj.call('getpid', SYS.getpid), BigInt(pid));
    assert.equal(inj.call('getppid', SYS.getppid), BigInt(process.pid));
    // Memory the task maps is visible through /proc/PID/mem and usable as syscall arguments.
    const page = inj.call('mmap', SYS.mmap, 0, 4096, 3, 0x22, -1, 0);
    inj.scratch = { addr: page, size: 4096 };
    const name = inj.putString('ferry-test');
    inj.call('prctl', SYS.prctl, 15, name, 0, 0, 0);
    assert.equal(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'), 'ferry-test\n');
    inj.call('munmap', SYS.munmap, page, 4096);
    // sleep was inside nanosleep: released with the restart applied, it must sleep on, not exit.
    ptrace.setRegs(pid, foldSyscallRestart(regs, false));
    ptrace.detach(pid);
    mem.close();
    await new Promise((r) => setTimeout(r, 100));
    assert.match(readStat(pid).state, /[SR]/);
  } finally {
    stopAndKill(pid);
  }
});

test('a failing injected syscall reports the errno and names the call', async () => {
  const pid = startSleeper();
  try {
    await new Promise((r) => setTimeout(r, 50));
    seizeStopped(pid);
    const regs = ptrace.getRegs(pid);
    const mem = new ProcMem(pid, true);
    const inj = new Injector(pid, regs, vdsoSyscall(pid, mem), mem);
    assert.throws(() => inj.call('close of fd 999', SYS.close, 999), /close of fd 999 in task \d+: EBADF/);
    mem.close();
  } finally {
    stopAndKill(pid);
  }
});

test('syscall restart folding re-executes an interrupted syscall', () => {
  const regs = Buffer.alloc(216);
  setReg(regs, 'orig_rax', 35);
  setReg(regs, 'rax', -516n); // ERESTART_RESTARTBLOCK
  setReg(regs, 'rip', 0x1000n);
  const resumed = foldSyscallRestart(regs, false);
  assert.equal(getReg(resumed, 'rax'), 219n);
  assert.equal(getReg(resumed, 'rip'), 0xffen);
  const restored = foldSyscallRestart(regs, true);
  assert.equal(getReg(restored, 'rax'), BigInt.asUintN(64, -4n));
  assert.equal(getReg(restored, 'rip'), 0x1000n);
  setReg(regs, 'rax', -512n); // ERESTARTSYS
  assert.equal(getReg(foldSyscallRestart(regs, true), 'rax'), 35n);
});
