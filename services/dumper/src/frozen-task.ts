import {
  ptrace, PTRACE, PTRACE_O, Injector, ProcMem, readMaps, getSignedReg, foldSyscallRestart, SYS, waitFor, describeWait,
} from '@ferry/sys';

const ALL_SIGNALS = 0xffffffffffffffffn;
const SCRATCH_SIZE = 65536;
const PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;

/**
 * One task held in a ptrace interrupt stop for the length of the dump. Syscalls run inside it
 * through a `syscall` instruction of its vdso, so its code is never modified; its registers and
 * signal mask are put back on release, with any interrupted syscall set to restart.
 */
export class FrozenTask {
  readonly regs: Buffer;
  readonly blocked: bigint;
  private injector: Injector | null = null;
  private memory: ProcMem | null = null;
  private released = false;

  private constructor(readonly pid: number) {
    this.regs = ptrace.getRegs(pid);
    this.blocked = ptrace.getSigmask(pid);
  }

  static freeze(pid: number): FrozenTask {
    ptrace.seize(pid, PTRACE_O.TRACESYSGOOD);
    try {
      ptrace.interrupt(pid);
      const w = waitFor(pid);
      if (w.kind !== 'stopped') throw new Error(`pid ${pid} ${describeWait(w)} while being frozen`);
      return new FrozenTask(pid);
    } catch (e) {
      try { ptrace.detach(pid); } catch { /* already gone */ }
      throw e;
    }
  }

  get mem(): ProcMem {
    this.memory ??= new ProcMem(this.pid);
    return this.memory;
  }

  /** An injector with a scratch page mapped in the task; the page is removed on release. */
  inject(): Injector {
    if (this.injector) return this.injector;
    const vdso = readMaps(this.pid).find((m) => m.path === '[vdso]');
    if (!vdso) throw new Error(`pid ${this.pid} has no vdso to run syscalls through`);
    const text = this.mem.read(vdso.start, Number(vdso.end - vdso.start));
    const at = text.indexOf(Buffer.from([0x0f, 0x05]));
    if (at < 0) throw new Error(`pid ${this.pid}: no syscall instruction in the vdso`);
    ptrace.setSigmask(this.pid, ALL_SIGNALS);
    const writer = new ProcMem(this.pid, true);
    const injector = new Injector(this.pid, this.regs, vdso.start + BigInt(at), writer);
    const addr = injector.call('mmap', SYS.mmap, 0, SCRATCH_SIZE, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
    injector.scratch = { addr, size: SCRATCH_SIZE };
    this.injector = injector;
    return injector;
  }

  /** Unmaps the scratch page so that what follows (maps, pages) sees only the task's own memory. */
  dropScratch(): void {
    if (!this.injector?.scratch) return;
    this.injector.call('munmap', SYS.munmap, this.injector.scratch.addr, this.injector.scratch.size);
    this.injector.scratch = null;
  }

  scratchRange(): { start: bigint; end: bigint } | null {
    const s = this.injector?.scratch;
    return s ? { start: s.addr, end: s.addr + BigInt(s.size) } : null;
  }

  /** Resumes the task as it was. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (this.injector) {
        try { this.dropScratch(); } catch { /* keep going: registers matter more */ }
        ptrace.setRegs(this.pid, foldSyscallRestart(this.regs, false));
        ptrace.setSigmask(this.pid, this.blocked);
      }
      ptrace.detach(this.pid);
    } finally {
      this.close();
    }
  }

  /** Ends the task (a dump without --leave-running) and collects its exit as its tracer. */
  kill(): void {
    if (this.released) return;
    this.released = true;
    process.kill(this.pid, 'SIGKILL');
    try {
      for (;;) {
        const w = waitFor(this.pid);
        if (w.kind === 'exited' || w.kind === 'signaled') break;
        ptrace.resume(PTRACE.CONT, this.pid);
      }
    } catch { /* reaped elsewhere */ }
    this.close();
  }

  inSyscall(): boolean {
    return getSignedReg(this.regs, 'orig_rax') >= 0n;
  }

  private close(): void {
    this.memory?.close();
    this.injector?.mem.close();
    this.memory = null;
  }
}
