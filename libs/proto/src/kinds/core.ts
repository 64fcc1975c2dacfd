import { REGS_BYTES, SIGINFO_BYTES, XSTATE_MAX_BYTES, XSTATE_MIN_BYTES } from '../limits.js';
import { checkEach, checkLength, checkPid, checkUserAddress, fail } from './checks.js';

/** Per-thread CPU and signal state. Object id: "core:TID". */
export interface Core {
  pid: number;
  tid: number;
  /** x86_64 struct user_regs_struct (27 x u64), syscall restart already folded in. */
  regs: Buffer;
  /** PTRACE_GETREGSET NT_X86_XSTATE. */
  xstate: Buffer;
  /** Blocked signal mask, bit (signo-1). */
  blocked: bigint;
  altstack: SigAltStack;
  /** Per-thread queued siginfo (128 bytes each), queue order. */
  pending: Buffer[];
  comm: string;
  /** Restartable-sequences registration; pointer 0 when the thread has none. */
  rseq: Rseq;
  /** set_tid_address: cleared and futex-woken when the thread exits (pthread_join relies on it). */
  clearChildTid: bigint;
  /** set_robust_list head and length, 0 when none. */
  robustList: bigint;
  robustListLen: bigint;
}

export interface SigAltStack {
  sp: bigint;
  flags: number;
  size: bigint;
}

export interface Rseq {
  pointer: bigint;
  size: number;
  signature: number;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    core: Core;
  }
}

/** ORIG_RSEQ_SIZE: the kernel refuses a smaller registration. */
const RSEQ_MIN_BYTES = 32;

export function validateCore(c: Core): void {
  checkPid(c.pid, 'pid');
  checkPid(c.tid, 'tid');
  checkLength(c.regs, 'regs', REGS_BYTES, REGS_BYTES);
  checkLength(c.xstate, 'xstate', XSTATE_MIN_BYTES, XSTATE_MAX_BYTES);
  checkEach(c.pending, 'pending', SIGINFO_BYTES);
  checkUserAddress(c.clearChildTid, 'clearChildTid');
  checkUserAddress(c.robustList, 'robustList');
  if (c.robustListLen > 4096n) fail(`robustListLen ${c.robustListLen} is absurd`);
  if (c.rseq.pointer !== 0n) {
    if (c.rseq.size < RSEQ_MIN_BYTES) fail(`rseq.size ${c.rseq.size} is below ${RSEQ_MIN_BYTES}`);
    checkUserAddress(c.rseq.pointer + BigInt(c.rseq.size), 'rseq end');
  }
}
