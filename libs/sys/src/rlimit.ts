import { native, errno } from './libc.js';
import { SysError } from './errors.js';

export const RLIMIT_COUNT = 16;

export function getRlimit(pid: number, resource: number): { cur: bigint; max: bigint } {
  const out = Buffer.alloc(16);
  if (native.prlimit(pid, resource, null, out) !== 0) throw new SysError('prlimit', errno(), `of ${pid}`);
  return { cur: out.readBigUInt64LE(0), max: out.readBigUInt64LE(8) };
}
