import os from 'node:os';

const names = new Map<number, string>(
  Object.entries(os.constants.errno).map(([name, num]) => [num as number, name]),
);

export function errnoName(code: number): string {
  return names.get(code) ?? `errno ${code}`;
}

/** A failed system call: what was asked, of whom, and the kernel's answer. */
export class SysError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
    detail = '',
  ) {
    super(`${call}${detail ? ` ${detail}` : ''}: ${errnoName(errno)}`);
    this.name = 'SysError';
  }
}

/** Kernel return convention of raw syscalls: -4095..-1 is -errno. */
export function isSyscallError(ret: bigint): boolean {
  return ret < 0n && ret >= -4095n;
}
