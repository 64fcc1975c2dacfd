import * as ptrace from './ptrace.js';
import { PTRACE } from './ptrace.js';
import { waitFor, describeWait } from './wait.js';
import { setReg, getSignedReg } from './regs.js';
import { ProcMem } from './mem.js';
import { SysError, isSyscallError } from './errors.js';

type Arg = bigint | number;
const SIGTRAP = 5;

export interface Scratch {
  addr: bigint;
  size: number;
}

/**
 * Runs syscalls inside a ptrace-stopped task: registers point rip at a `syscall` instruction the
 * task can execute, and PTRACE_SYSCALL runs it from its entry stop to its exit stop. Nothing of the
 * task's code is changed, and the task ends in a syscall-exit stop where any registers may be set.
 */
export class Injector {
  /** Pids of tasks created by injected clone/fork calls, in order. */
  readonly children: number[] = [];
  /** Signals that arrived while injecting; their delivery was held back. */
  readonly heldSignals: number[] = [];
  private cursor = 0;
  /** Where argument space starts in the scratch page (the restorer keeps its syscall instruction below). */
  scratchBase = 0;
  /** Where the scratch page holds the call-table runner (see inject-batch.ts), if it does. */
  batchAddr: bigint | null = null;

  constructor(
    readonly pid: number,
    private readonly baseRegs: Buffer,
    public syscallAddr: bigint,
    readonly mem: ProcMem,
    public scratch: Scratch | null = null,
  ) {}

  /** Raw kernel return value (negative errno on failure). */
  raw(nr: number, ...args: Arg[]): bigint {
    const regs = Buffer.from(this.baseRegs);
    setReg(regs, 'rip', this.syscallAddr);
    setReg(regs, 'rax', nr);
    setReg(regs, 'orig_rax', -1n);
    const argRegs = ['rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'] as const;
    args.forEach((a, i) => setReg(regs, argRegs[i]!, BigInt(a)));
    ptrace.setRegs(this.pid, regs);
    ptrace.resume(PTRACE.SYSCALL, this.pid);
    for (;;) {
      const w = waitFor(this.pid);
      if (w.kind !== 'stopped') {
        throw new Error(`task ${this.pid} ${describeWait(w)} during injected syscall ${nr}`);
      }
      let deliver = 0;
      if (w.syscallStop) {
        if (ptrace.syscallStopKind(this.pid) === ptrace.SYSCALL_INFO.EXIT) break;
      } else if (w.event === ptrace.PTRACE_EVENT.FORK || w.event === ptrace.PTRACE_EVENT.CLONE || w.event === ptrace.PTRACE_EVENT.VFORK) {
        this.children.push(Number(ptrace.eventMessage(this.pid)));
      } else if (w.event === 0 && w.signal !== 5) {
        this.heldSignals.push(w.signal);
      }
      void deliver;
      ptrace.resume(PTRACE.SYSCALL, this.pid, deliver);
    }
    return getSignedReg(ptrace.getRegs(this.pid), 'rax');
  }

  /**
   * Runs the task from RIP with rbx = RBX until it reaches an int3 at STOP_AT (the code's end):
   * one stop however many syscalls the code makes. Signals meanwhile are held back, as in raw.
   */
  runUntilTrap(rip: bigint, rbx: bigint, stopAt: bigint): void {
    // The int3's SIGTRAP is forced: the kernel unblocks it in the task's mask, which must not show.
    const mask = ptrace.getSigmask(this.pid);
    const regs = Buffer.from(this.baseRegs);
    setReg(regs, 'rip', rip);
    setReg(regs, 'rbx', rbx);
    setReg(regs, 'orig_rax', -1n);
    ptrace.setRegs(this.pid, regs);
    ptrace.resume(PTRACE.CONT, this.pid);
    for (;;) {
      const w = waitFor(this.pid);
      if (w.kind !== 'stopped') throw new Error(`task ${this.pid} ${describeWait(w)} during injected calls`);
      if (w.event === 0 && w.signal === SIGTRAP) {
        const at = BigInt.asUintN(64, getSignedReg(ptrace.getRegs(this.pid), 'rip'));
        if (at === stopAt + 1n) {
          ptrace.setSigmask(this.pid, mask);
          return;
        }
        throw new Error(`task ${this.pid} trapped at 0x${at.toString(16)} during injected calls`);
      }
      if (w.event === 0 && !w.syscallStop) this.heldSignals.push(w.signal);
      ptrace.resume(PTRACE.CONT, this.pid);
    }
  }

  /** Like raw, but a failure throws with the call named. */
  call(name: string, nr: number, ...args: Arg[]): bigint {
    const ret = this.raw(nr, ...args);
    if (isSyscallError(ret)) throw new SysError(name, Number(-ret), `in task ${this.pid}`);
    return ret;
  }

  /** Scratch memory for arguments, valid until resetScratch(). */
  put(data: Buffer): bigint {
    if (!this.scratch) throw new Error('injector has no scratch memory');
    const aligned = (this.cursor + 15) & ~15;
    if (aligned + data.length > this.scratch.size) throw new Error('injection arguments exceed scratch memory');
    const addr = this.scratch.addr + BigInt(aligned);
    this.mem.write(addr, data);
    this.cursor = aligned + data.length;
    return addr;
  }

  putString(s: string): bigint {
    return this.put(Buffer.from(s + '\0'));
  }

  /** Scratch bytes for the caller to write itself, in one go. */
  claim(length: number): bigint {
    if (!this.scratch) throw new Error('injector has no scratch memory');
    const aligned = (this.cursor + 15) & ~15;
    if (aligned + length > this.scratch.size) throw new Error('injection arguments exceed scratch memory');
    this.cursor = aligned + length;
    return this.scratch.addr + BigInt(aligned);
  }

  /** Reserves scratch bytes the kernel will fill; read them back with mem.read. */
  reserve(length: number): bigint {
    return this.put(Buffer.alloc(length));
  }

  resetScratch(offset = this.scratchBase): void {
    this.cursor = offset;
  }
}
