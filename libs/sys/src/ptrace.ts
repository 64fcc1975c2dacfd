import { native, errno, addressOf } from './libc.js';
import { SysError } from './errors.js';

export const PTRACE = {
  CONT: 7, KILL: 8, DETACH: 17, SYSCALL: 24, GETREGS: 12, SETREGS: 13, SETOPTIONS: 0x4200,
  GETEVENTMSG: 0x4201, GETSIGINFO: 0x4202, GETREGSET: 0x4204, SETREGSET: 0x4205,
  SEIZE: 0x4206, INTERRUPT: 0x4207, LISTEN: 0x4208, PEEKSIGINFO: 0x4209,
  GETSIGMASK: 0x420a, SETSIGMASK: 0x420b, GET_SYSCALL_INFO: 0x420e,
  GET_RSEQ_CONFIGURATION: 0x420f,
} as const;

export const PTRACE_O = {
  TRACESYSGOOD: 1, TRACEFORK: 2, TRACEVFORK: 4, TRACECLONE: 8, TRACEEXEC: 0x10,
  TRACEEXIT: 0x40, EXITKILL: 0x100000,
} as const;

export const PTRACE_EVENT = { FORK: 1, VFORK: 2, CLONE: 3, EXEC: 4, EXIT: 6, STOP: 128 } as const;

export const NT_PRSTATUS = 1;
export const NT_X86_XSTATE = 0x202;
export const USER_REGS_SIZE = 27 * 8;

function check(ret: number | bigint, what: string, pid: number): void {
  if (Number(ret) === -1) throw new SysError(what, errno(), `of ${pid}`);
}

export function seize(pid: number, options: number): void {
  check(native.ptrace(PTRACE.SEIZE, pid, 0, options), 'PTRACE_SEIZE', pid);
}

export function setOptions(pid: number, options: number): void {
  check(native.ptrace(PTRACE.SETOPTIONS, pid, 0, options), 'PTRACE_SETOPTIONS', pid);
}

export function interrupt(pid: number): void {
  check(native.ptrace(PTRACE.INTERRUPT, pid, 0, 0), 'PTRACE_INTERRUPT', pid);
}

export function resume(request: number, pid: number, signal = 0): void {
  check(native.ptrace(request, pid, 0, signal), `ptrace(${request})`, pid);
}

export function detach(pid: number, signal = 0): void {
  check(native.ptrace(PTRACE.DETACH, pid, 0, signal), 'PTRACE_DETACH', pid);
}

export function getRegs(pid: number): Buffer {
  const regs = Buffer.alloc(USER_REGS_SIZE);
  check(native.ptraceBuf(PTRACE.GETREGS, pid, 0, regs), 'PTRACE_GETREGS', pid);
  return regs;
}

export function setRegs(pid: number, regs: Buffer): void {
  check(native.ptraceBuf(PTRACE.SETREGS, pid, 0, regs), 'PTRACE_SETREGS', pid);
}

/** Extended FPU state; the kernel shrinks the iovec to the size this CPU uses. */
export function getXstate(pid: number): Buffer {
  const buf = Buffer.alloc(16384);
  const iov = { base: buf, len: buf.length };
  check(native.ptraceIov(PTRACE.GETREGSET, pid, NT_X86_XSTATE, iov), 'PTRACE_GETREGSET(xstate)', pid);
  return Buffer.from(buf.subarray(0, Number(iov.len)));
}

export function setXstate(pid: number, xstate: Buffer): void {
  const iov = { base: xstate, len: xstate.length };
  check(native.ptraceIov(PTRACE.SETREGSET, pid, NT_X86_XSTATE, iov), 'PTRACE_SETREGSET(xstate)', pid);
}

export function getSigmask(pid: number): bigint {
  const buf = Buffer.alloc(8);
  check(native.ptraceBuf(PTRACE.GETSIGMASK, pid, 8, buf), 'PTRACE_GETSIGMASK', pid);
  return buf.readBigUInt64LE(0);
}

export function setSigmask(pid: number, mask: bigint): void {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64LE(BigInt.asUintN(64, mask));
  check(native.ptraceBuf(PTRACE.SETSIGMASK, pid, 8, buf), 'PTRACE_SETSIGMASK', pid);
}

export const SIGINFO_SIZE = 128;
const PEEKSIGINFO_SHARED = 1;

/** The queued siginfos of a thread (or of the whole process with shared), without dequeuing them. */
export function peekSiginfo(pid: number, shared: boolean): Buffer[] {
  const out: Buffer[] = [];
  const batch = 32;
  for (;;) {
    const args = Buffer.alloc(16);
    args.writeBigUInt64LE(BigInt(out.length), 0);
    args.writeUInt32LE(shared ? PEEKSIGINFO_SHARED : 0, 8);
    args.writeInt32LE(batch, 12);
    const data = Buffer.alloc(batch * SIGINFO_SIZE);
    const n = Number(native.ptraceBuf(PTRACE.PEEKSIGINFO, pid, addressOf(args), data));
    if (n === -1) throw new SysError('PTRACE_PEEKSIGINFO', errno(), `of ${pid}`);
    for (let i = 0; i < n; i++) out.push(Buffer.from(data.subarray(i * SIGINFO_SIZE, (i + 1) * SIGINFO_SIZE)));
    if (n < batch) return out;
  }
}

export interface RseqConfig { pointer: bigint; size: number; signature: number; flags: number }

export function getRseq(pid: number): RseqConfig {
  const buf = Buffer.alloc(24);
  check(native.ptraceBuf(PTRACE.GET_RSEQ_CONFIGURATION, pid, 24, buf), 'PTRACE_GET_RSEQ_CONFIGURATION', pid);
  return {
    pointer: buf.readBigUInt64LE(0),
    size: buf.readUInt32LE(8),
    signature: buf.readUInt32LE(12),
    flags: buf.readUInt32LE(16),
  };
}

export const SYSCALL_INFO = { NONE: 0, ENTRY: 1, EXIT: 2, SECCOMP: 3 } as const;

/** Whether a syscall-stop is the entry or the exit one (PTRACE_GET_SYSCALL_INFO op). */
export function syscallStopKind(pid: number): number {
  const buf = Buffer.alloc(88);
  const n = Number(native.ptraceBuf(PTRACE.GET_SYSCALL_INFO, pid, buf.length, buf));
  if (n === -1) throw new SysError('PTRACE_GET_SYSCALL_INFO', errno(), `of ${pid}`);
  return buf.readUInt8(0);
}

export function eventMessage(pid: number): bigint {
  const buf = Buffer.alloc(8);
  check(native.ptraceBuf(PTRACE.GETEVENTMSG, pid, 0, buf), 'PTRACE_GETEVENTMSG', pid);
  return buf.readBigUInt64LE(0);
}

