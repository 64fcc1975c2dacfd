import {
  ptrace, PTRACE_O, Injector, ProcMem, readMaps, spawnDetachedFromLibuv, waitFor, describeWait, SYS,
} from '@ferry/sys';
import { findFreeRange, type Range } from './address-space.js';

export const SCRATCH_SIZE = 65536;
const SYSCALL_INSN = Buffer.from([0x0f, 0x05, 0xcc, 0xcc]);
const ALL_SIGNALS = 0xffffffffffffffffn;
const PROT_RWX = 7;
const MAP_PRIVATE_ANON_FIXED_NOREPLACE = 0x22 | 0x100000;
const CLONE_PARENT = 0x8000n;
const CLONE_ARGS_SIZE = 88;

/**
 * The seed process every restored task is cloned from. It is started outside libuv and traced;
 * a scratch page (a `syscall` instruction, then room for arguments) is mapped at an address that
 * is free in the image, so every clone inherits it at a place nothing of the image needs.
 */
export class Stub {
  readonly injector: Injector;
  private alive = true;

  private constructor(readonly pid: number, injector: Injector) {
    this.injector = injector;
  }

  static start(imageRanges: Range[]): Stub {
    const pid = spawnDetachedFromLibuv('/bin/sleep', ['ferry-restore-stub', 'infinity']);
    try {
      ptrace.seize(pid, PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACECLONE | PTRACE_O.EXITKILL);
      ptrace.interrupt(pid);
      const w = waitFor(pid);
      if (w.kind !== 'stopped') throw new Error(`restore stub ${describeWait(w)}`);
      ptrace.setSigmask(pid, ALL_SIGNALS);
      const maps = readMaps(pid);
      const vdso = maps.find((m) => m.path === '[vdso]');
      if (!vdso) throw new Error('restore stub has no vdso');
      const mem = new ProcMem(pid, true);
      const at = mem.read(vdso.start, Number(vdso.end - vdso.start)).indexOf(Buffer.from([0x0f, 0x05]));
      const injector = new Injector(pid, ptrace.getRegs(pid), vdso.start + BigInt(at), mem);
      const scratch = findFreeRange([...imageRanges, ...maps], BigInt(SCRATCH_SIZE));
      injector.call('mmap', SYS.mmap, scratch, SCRATCH_SIZE, PROT_RWX, MAP_PRIVATE_ANON_FIXED_NOREPLACE, -1, 0);
      mem.write(scratch, SYSCALL_INSN);
      injector.syscallAddr = scratch;
      injector.scratch = { addr: scratch, size: SCRATCH_SIZE };
      return new Stub(pid, injector);
    } catch (e) {
      killAndReap(pid);
      throw e;
    }
  }

  get scratch(): { addr: bigint; size: number } {
    return this.injector.scratch!;
  }

  /**
   * clone3 with set_tid, so the task gets its old pid; CLONE_PARENT makes it ferry's child, as the
   * restored root must be. It arrives traced and stopped right after the scratch syscall.
   */
  fork(pid: number): number {
    const inj = this.injector;
    inj.resetScratch(64);
    const tid = inj.put(Buffer.from(Int32Array.of(pid).buffer));
    const args = Buffer.alloc(CLONE_ARGS_SIZE);
    args.writeBigUInt64LE(CLONE_PARENT, 0);
    args.writeBigUInt64LE(tid, 64);
    args.writeBigUInt64LE(1n, 72);
    const ret = inj.raw(SYS.clone3, inj.put(args), CLONE_ARGS_SIZE);
    if (ret === -17n) throw new Error(`pid ${pid} is already in use`);
    if (ret < 0n) throw new Error(`cannot create task with pid ${pid}: clone3 failed (errno ${-ret})`);
    const child = Number(ret);
    const w = waitFor(child);
    if (w.kind !== 'stopped') throw new Error(`new task ${child} ${describeWait(w)}`);
    return child;
  }

  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    this.injector.mem.close();
    killAndReap(this.pid);
  }
}

export function killAndReap(pid: number): void {
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  try {
    for (;;) {
      const w = waitFor(pid);
      if (w.kind === 'exited' || w.kind === 'signaled') return;
      try { ptrace.resume(7, pid); } catch { /* dying */ }
    }
  } catch { /* not ours to reap */ }
}
