import fs from 'node:fs';
import { native, errno } from './libc.js';
import { SysError } from './errors.js';

export const RLIMIT_COUNT = 16;

export function getRlimit(pid: number, resource: number): { cur: bigint; max: bigint } {
  const out = Buffer.alloc(16);
  if (native.prlimit(pid, resource, null, out) !== 0) throw new SysError('prlimit', errno(), `of ${pid}`);
  return { cur: out.readBigUInt64LE(0), max: out.readBigUInt64LE(8) };
}

const RLIM_INFINITY = 0xffffffffffffffffn;

/**
 * All limits of a process from /proc/PID/limits, which anyone who may read it gets, where
 * prlimit on another user's process needs CAP_SYS_RESOURCE. Rows come in resource order.
 */
export function readRlimits(pid: number): { resource: number; cur: bigint; max: bigint }[] {
  const rows = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1).filter((l) => l.length > 0);
  if (rows.length !== RLIMIT_COUNT) throw new Error(`/proc/${pid}/limits has ${rows.length} limits, expected ${RLIMIT_COUNT}`);
  const value = (v: string) => (v === 'unlimited' ? RLIM_INFINITY : BigInt(v));
  return rows.map((row, resource) => {
    // The name column is 26 characters wide and may hold spaces; the values never do.
    const [soft, hard] = row.slice(26).trim().split(/\s+/);
    return { resource, cur: value(soft!), max: value(hard!) };
  });
}
