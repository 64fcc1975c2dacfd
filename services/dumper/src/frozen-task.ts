import {
  ptrace, PTRACE, PTRACE_O, Injector, ProcMem, readMaps, foldSyscallRestart, SYS, waitFor, describeWait, listThreads,
} from '@ferry/sys';

const ALL_SIGNALS = 0xffffffffffffffffn;
const SCRATCH_SIZE = 65536;
const PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;

/** One thread held in a ptrace interrupt stop, with what it must get back on release. */
export class FrozenThread {
  readonly regs: Buffer;
  readonly blocked: bigint;
  injector: Injector | null = null;

  constructor(readonly tid: number) {
    this.regs = ptrace.getRegs(tid);
    this.blocked = ptrace.getSigmask(tid);
  }
}

function seizeAndStop(tid: number): boolean {
  try {
    ptrace.seize(tid, PTRACE_O.TRACESYSGOOD);
  } catch (e) {
    if ((e as { errno?: number }).errno === 3) return false; // ESRCH: the thread ended meanwhile
    throw e;
  }
  ptrace.interrupt(tid);
  const w = waitFor(tid);
  if (w.kind !== 'stopped') throw new Error(`thread ${tid} ${describeWait(w)} while being frozen`);
  return true;
}

/**
 * A process with all its threads held in ptrace interrupt stops for the length of the dump.
 * Syscalls run inside it through a `syscall` instruction of its vdso, so its code is never
 * modified; registers and signal masks are put back on release, interrupted syscalls restarting.
 */
export class FrozenTask {
  readonly threads: FrozenThread[] = [];
  private syscallAddr = 0n;
  private scratch: { addr: bigint; size: number } | null = null;
  private memory: ProcMem | null = null;
  private writer: ProcMem | null = null;
  private released = false;

  private constructor(readonly pid: number) {}

  /** Seizes every thread; threads started meanwhile are caught on the next pass. */
  static freeze(pid: number): FrozenTask {
    const task = new FrozenTask(pid);
    try {
      for (;;) {
        const fresh = listThreads(pid).filter((tid) => !task.threads.some((t) => t.tid === tid));
        if (fresh.length === 0) break;
        for (const tid of fresh) if (seizeAndStop(tid)) task.threads.push(new FrozenThread(tid));
      }
      if (task.threads[0]?.tid !== pid) task.threads.sort((a, b) => (a.tid === pid ? -1 : b.tid === pid ? 1 : a.tid - b.tid));
      return task;
    } catch (e) {
      task.release();
      throw e;
    }
  }

  get leader(): FrozenThread {
    return this.threads[0]!;
  }

  get mem(): ProcMem {
    this.memory ??= new ProcMem(this.pid);
    return this.memory;
  }

  /** An injector for one thread; the first one maps a scratch page the process's threads share. */
  inject(tid = this.pid): Injector {
    const thread = this.threads.find((t) => t.tid === tid);
    if (!thread) throw new Error(`thread ${tid} is not part of pid ${this.pid}`);
    if (thread.injector) return thread.injector;
    if (!this.writer) {
      const vdso = readMaps(this.pid).find((m) => m.path === '[vdso]');
      if (!vdso) throw new Error(`pid ${this.pid} has no vdso to run syscalls through`);
      const at = this.mem.read(vdso.start, Number(vdso.end - vdso.start)).indexOf(Buffer.from([0x0f, 0x05]));
      if (at < 0) throw new Error(`pid ${this.pid}: no syscall instruction in the vdso`);
      this.syscallAddr = vdso.start + BigInt(at);
      this.writer = new ProcMem(this.pid, true);
    }
    ptrace.setSigmask(tid, ALL_SIGNALS);
    thread.injector = new Injector(tid, thread.regs, this.syscallAddr, this.writer, this.scratch);
    if (!this.scratch) {
      const addr = thread.injector.call('mmap', SYS.mmap, 0, SCRATCH_SIZE, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
      this.scratch = { addr, size: SCRATCH_SIZE };
      thread.injector.scratch = this.scratch;
    }
    return thread.injector;
  }

  /** Unmaps the scratch page so that what follows (maps, pages) sees only the process's own memory. */
  dropScratch(): void {
    if (!this.scratch) return;
    this.inject(this.pid).call('munmap', SYS.munmap, this.scratch.addr, this.scratch.size);
    this.scratch = null;
    for (const t of this.threads) if (t.injector) t.injector.scratch = null;
  }

  /** Resumes the process as it was. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      try { this.dropScratch(); } catch { /* keep going: registers matter more */ }
      for (const t of this.threads) {
        try {
          if (t.injector) {
            ptrace.setRegs(t.tid, foldSyscallRestart(t.regs, false));
            ptrace.setSigmask(t.tid, t.blocked);
          }
          ptrace.detach(t.tid);
        } catch { /* a thread that is gone needs nothing */ }
      }
    } finally {
      this.close();
    }
  }

  /** Ends the process (a dump without --leave-running) and collects each thread's exit as its tracer. */
  kill(): void {
    if (this.released) return;
    this.released = true;
    process.kill(this.pid, 'SIGKILL');
    // The leader's exit is only reported once every other thread has been reaped by us, the tracer.
    for (const t of [...this.threads].reverse()) {
      try {
        for (;;) {
          const w = waitFor(t.tid);
          if (w.kind === 'exited' || w.kind === 'signaled') break;
          ptrace.resume(PTRACE.CONT, t.tid);
        }
      } catch { /* reaped elsewhere */ }
    }
    this.close();
  }

  private close(): void {
    this.memory?.close();
    this.writer?.close();
    this.memory = this.writer = null;
  }
}
