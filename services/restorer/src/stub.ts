import {
  ptrace, PTRACE_O, Injector, ProcMem, readMaps, spawnDetachedFromLibuv, waitFor, describeWait, SYS, writeScratchCode, useScratchCode,
} from '@ferry/sys';
import { findFreeRange, type Range } from './address-space.js';
import { cloneWithPid } from './fork.js';

export const SCRATCH_SIZE = 65536;
const ALL_SIGNALS = 0xffffffffffffffffn;
const PROT_RWX = 7;
const MAP_PRIVATE_ANON_FIXED_NOREPLACE = 0x22 | 0x100000;

/**
 * The seed process every restored task is cloned from. It is started outside libuv and traced;
 * a scratch page (a `syscall` instruction, the call-table runner, then room for arguments) is mapped at an address that
 * is free in the image, so every clone inherits it at a place nothing of the image needs.
 */
export class Stub {
  readonly injector: Injector;
  private alive = true;

  private constructor(readonly pid: number, injector: Injector) {
    this.injector = injector;
  }

  static start(imageRanges: Range[]): Stub {
    // argv[0] names the restore that made the stub, so a leftover one can be traced back to it.
    const pid = spawnDetachedFromLibuv('/bin/sleep', [`ferry-restore-stub-${process.pid}`, 'infinity']);
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
      injector.syscallAddr = writeScratchCode(mem, scratch);
      injector.scratch = { addr: scratch, size: SCRATCH_SIZE };
      useScratchCode(injector, scratch);
      return new Stub(pid, injector);
    } catch (e) {
      killAndReap(pid);
      throw e;
    }
  }

  get scratch(): { addr: bigint; size: number } {
    return this.injector.scratch!;
  }

  /** A task with the given pid, child of ferry (as the restored root and helpers must be). */
  fork(pid: number): number {
    return cloneWithPid(this.injector, pid, 'sibling');
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
