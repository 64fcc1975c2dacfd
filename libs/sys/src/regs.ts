// Layout of x86_64 struct user_regs_struct: 27 unsigned 64-bit slots.
const names = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi',
  'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type RegName = (typeof names)[number];

const offset = Object.fromEntries(names.map((n, i) => [n, i * 8])) as Record<RegName, number>;

export function getReg(regs: Buffer, name: RegName): bigint {
  return regs.readBigUInt64LE(offset[name]);
}

export function getSignedReg(regs: Buffer, name: RegName): bigint {
  return regs.readBigInt64LE(offset[name]);
}

export function setReg(regs: Buffer, name: RegName, value: bigint | number): void {
  regs.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value)), offset[name]);
}

const ERESTARTSYS = -512n, ERESTARTNOINTR = -513n, ERESTARTNOHAND = -514n, ERESTART_RESTARTBLOCK = -516n;
const EINTR = -4n;
const SYS_restart_syscall = 219n;

/**
 * A task stopped inside a syscall shows the kernel's internal restart codes. The kernel would
 * apply them on its way back to user mode only from a signal stop; ferry resumes tasks from other
 * stops too, so apply the restart here: point rip back at the syscall instruction. A restart block
 * lives in the kernel's per-thread state, which a restored task does not have, so `forRestore`
 * turns that case into EINTR, as the caller would see after a signal.
 */
export function foldSyscallRestart(regs: Buffer, forRestore: boolean): Buffer {
  const out = Buffer.from(regs);
  const nr = getSignedReg(regs, 'orig_rax');
  if (nr < 0n) return out;
  const ret = getSignedReg(regs, 'rax');
  if (ret === ERESTARTSYS || ret === ERESTARTNOINTR || ret === ERESTARTNOHAND) {
    setReg(out, 'rax', nr);
    setReg(out, 'rip', getReg(regs, 'rip') - 2n);
  } else if (ret === ERESTART_RESTARTBLOCK) {
    if (forRestore) setReg(out, 'rax', EINTR);
    else {
      setReg(out, 'rax', SYS_restart_syscall);
      setReg(out, 'rip', getReg(regs, 'rip') - 2n);
    }
  }
  setReg(out, 'orig_rax', -1n);
  return out;
}
