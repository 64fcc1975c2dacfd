import { FileLockKind, type FileLock } from '../generated/messages.js';
import { I64_MAX } from '../int64.js';
import { checkPid, fail } from './checks.js';

/** How messages name a lock: "POSIX write lock (bytes 0-99)", "flock shared lock". */
export function describeFileLock(l: FileLock): string {
  const mode = l.exclusive ? 'write' : 'shared';
  if (l.kind === FileLockKind.FLOCK) return `flock ${mode} lock`;
  const range = l.length === 0n ? `from byte ${l.start} to the end` : `bytes ${l.start}-${l.start + l.length - 1n}`;
  return `${l.kind === FileLockKind.OFD ? 'OFD' : 'POSIX'} ${mode} lock (${range})`;
}

export function validateFileLock(l: FileLock): void {
  checkPid(l.pid, 'pid');
  if (l.fd > 0x7fffffff) fail(`fd ${l.fd} is not a descriptor number`);
  if (l.kind !== FileLockKind.FLOCK && l.kind !== FileLockKind.POSIX && l.kind !== FileLockKind.OFD) fail(`kind ${l.kind} is not flock, POSIX or OFD`);
  if (l.kind === FileLockKind.FLOCK && (l.start !== 0n || l.length !== 0n)) fail('a flock lock covers the whole file: start and length must be 0');
  if (l.start > I64_MAX) fail(`start ${l.start} does not fit a file offset`);
  if (l.length > I64_MAX - l.start) fail(`start ${l.start} plus length ${l.length} goes beyond the largest file offset`);
}
