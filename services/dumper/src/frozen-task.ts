import {
  ptrace, PTRACE, PTRACE_O, PTRACE_EVENT, Injector, ProcMem, readMaps, foldSyscallRestart, SYS, waitFor, describeWait, listThreads,
  isSyscallError, writeScratchCode, useScratchCode,
} from '@ferry/sys';

const ALL_SIGNALS = 0xffffffffffffffffn;
/** SIGKILL and SIGSTOP: the kernel drops them from any mask it is given. */
const UNBLOCKABLE = (1n << 8n) | (1n << 18n);
const SCRATCH_SIZE = 16384;
const PROT_RW = 3, PROT_RWX = 7;
const MAP_PRIVATE_ANON = 0x22;

/** One thread held in a ptrace interrupt stop, with what it must get back on release. */
export class FrozenThread {
  readonly regs: Buffer;
  /** Its signal mask; a first injection may reveal a truer one (see adoptSavedMask). */
  blocked: bigint;
  /** Out of its interrupt stop for an injected call: registers and mask are not its own. */
  disturbed = false;

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
 * modified. Between injections every thread is back in an interrupt stop with its own registers
 * and mask, and no scratch page exists: should the dumper die, the kernel detaches the threads
 * and they run on as if never stopped. Only a death in the middle of a batch can hurt them.
 */
export class FrozenTask {
  readonly threads: FrozenThread[] = [];
  private syscallAddr = 0n;
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

  /**
   * Runs a short batch of injected calls in one thread, with a scratch page for their arguments
   * if asked, and puts the thread back as it was frozen before returning. Keep batches free of
   * anything slow (no awaits, no I/O): their length is how long a dumper death would do harm.
   */
  injecting<T>(tid: number, opts: { scratch: boolean }, batch: (inj: Injector) => T): T {
    const thread = this.threads.find((t) => t.tid === tid);
    if (!thread) throw new Error(`thread ${tid} is not part of pid ${this.pid}`);
    const syscallAddr = this.syscallInstruction();
    thread.disturbed = true;
    // Blocked, a signal that comes meanwhile stays pending instead of stopping the injection.
    ptrace.setSigmask(tid, ALL_SIGNALS);
    const inj = new Injector(tid, thread.regs, syscallAddr, this.writer!);
    let result: T;
    let failed = true;
    try {
      if (opts.scratch) {
        // With the call-table runner in it (inject-batch.ts), a collector's calls take one stop;
        // a task that refuses W+X memory (MemoryDenyWriteExecute) gets them one at a time.
        const rwx = inj.raw(SYS.mmap, 0, SCRATCH_SIZE, PROT_RWX, MAP_PRIVATE_ANON, -1, 0);
        const addr = isSyscallError(rwx) ? inj.call('mmap', SYS.mmap, 0, SCRATCH_SIZE, PROT_RW, MAP_PRIVATE_ANON, -1, 0) : rwx;
        inj.scratch = { addr, size: SCRATCH_SIZE };
        if (!isSyscallError(rwx)) {
          writeScratchCode(this.writer!, addr);
          useScratchCode(inj, addr);
        }
        this.adoptSavedMask(thread);
      }
      result = batch(inj);
      failed = false;
    } finally {
      try {
        if (inj.scratch) inj.call('munmap', SYS.munmap, inj.scratch.addr, inj.scratch.size);
        this.adoptSavedMask(thread);
        this.park(thread);
      } catch (e) {
        if (!failed) throw e; // else the batch's own error says more; release() copes
      }
    }
    return result;
  }

  /**
   * A thread frozen in sigsuspend, ppoll or pselect runs with the call's temporary mask, and the
   * kernel puts its own mask back as the thread leaves the interrupt stop for its first injection,
   * overriding ours. That mask is the one to keep: the restarted call installs the temporary one
   * again, and saves what it finds as the mask to return to.
   */
  private adoptSavedMask(thread: FrozenThread): void {
    const mask = ptrace.getSigmask(thread.tid);
    if ((mask | UNBLOCKABLE) === ALL_SIGNALS) return;
    thread.blocked = mask;
    ptrace.setSigmask(thread.tid, ALL_SIGNALS);
  }

  private syscallInstruction(): bigint {
    if (!this.writer) {
      const vdso = readMaps(this.pid).find((m) => m.path === '[vdso]');
      if (!vdso) throw new Error(`pid ${this.pid} has no vdso to run syscalls through`);
      const at = this.mem.read(vdso.start, Number(vdso.end - vdso.start)).indexOf(Buffer.from([0x0f, 0x05]));
      if (at < 0) throw new Error(`pid ${this.pid}: no syscall instruction in the vdso`);
      this.syscallAddr = vdso.start + BigInt(at);
      this.writer = new ProcMem(this.pid, true);
    }
    return this.syscallAddr;
  }

  /**
   * Takes a thread from the syscall-exit stop of its last injection back to an interrupt stop
   * with its frozen registers and mask. From there the kernel itself restarts (or fails with
   * EINTR, if a handler runs) the syscall it was frozen in, exactly as it would have had it never
   * been injected into; from a syscall-exit stop it would not.
   */
  private park(thread: FrozenThread): void {
    const tid = thread.tid;
    ptrace.setRegs(tid, thread.regs);
    ptrace.setSigmask(tid, thread.blocked);
    ptrace.interrupt(tid);
    ptrace.resume(PTRACE.CONT, tid);
    const w = waitFor(tid);
    // The jobctl trap comes before any signal is dequeued, so nothing else can stop it first.
    if (w.kind !== 'stopped' || w.event !== PTRACE_EVENT.STOP) throw new Error(`thread ${tid} ${describeWait(w)} instead of stopping again after injection`);
    thread.disturbed = false;
  }

  /** Resumes the process as it was. */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      for (const t of this.threads) {
        try {
          // A batch that failed half-way left it in a syscall-exit stop, where no restart happens.
          if (t.disturbed) {
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
