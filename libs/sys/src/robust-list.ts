import { native, errno, addressOf as addr } from './libc.js';
import { SysError } from './errors.js';

const SYS_get_robust_list = 274;

/** A thread's robust futex list head and length, read from outside (needs ptrace access). */
export function getRobustList(tid: number): { head: bigint; len: bigint } {
  const head = Buffer.alloc(8), len = Buffer.alloc(8);
  const r = Number(native.syscall6(SYS_get_robust_list, tid, Number(addr(head)), Number(addr(len)), 0, 0, 0));
  if (r < 0) throw new SysError('get_robust_list', errno(), `of ${tid}`);
  return { head: head.readBigUInt64LE(0), len: len.readBigUInt64LE(0) };
}

