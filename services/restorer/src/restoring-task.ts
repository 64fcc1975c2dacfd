import { Injector, ProcMem, ptrace } from '@ferry/sys';
import type { Stub } from './stub.js';

/** A task being rebuilt: traced, stopped, running injected syscalls through the inherited scratch page. */
export class RestoringTask {
  readonly injector: Injector;

  constructor(readonly pid: number, stub: Stub) {
    const mem = new ProcMem(pid, true);
    this.injector = new Injector(pid, ptrace.getRegs(pid), stub.scratch.addr, mem, { ...stub.scratch });
  }

  get mem(): ProcMem {
    return this.injector.mem;
  }

  get scratch(): { addr: bigint; size: number } {
    return this.injector.scratch!;
  }

  close(): void {
    this.injector.mem.close();
  }
}
