import { Injector, ProcMem, ptrace, useScratchCode } from '@ferry/sys';

export interface Scratch {
  addr: bigint;
  size: number;
}

/** One thread being rebuilt: traced, stopped, running injected syscalls through the scratch page. */
export class RestoringThread {
  readonly injector: Injector;

  constructor(readonly tid: number, mem: ProcMem, scratch: Scratch) {
    this.injector = new Injector(tid, ptrace.getRegs(tid), scratch.addr, mem, { ...scratch });
    useScratchCode(this.injector, scratch.addr);
  }
}

/** A process being rebuilt, with its threads as they are created (the leader first). */
export class RestoringTask {
  readonly threads: RestoringThread[] = [];
  readonly mem: ProcMem;

  constructor(readonly pid: number, readonly scratch: Scratch) {
    this.mem = new ProcMem(pid, true);
    this.threads.push(new RestoringThread(pid, this.mem, scratch));
  }

  get injector(): Injector {
    return this.threads[0]!.injector;
  }

  addThread(tid: number): RestoringThread {
    const thread = new RestoringThread(tid, this.mem, this.scratch);
    this.threads.push(thread);
    return thread;
  }

  thread(tid: number): RestoringThread {
    const t = this.threads.find((x) => x.tid === tid);
    if (!t) throw new Error(`thread ${tid} of pid ${this.pid} was not created`);
    return t;
  }

  close(): void {
    this.mem.close();
  }
}
