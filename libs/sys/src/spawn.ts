import { native } from './libc.js';
import { SysError } from './errors.js';

/**
 * Starts a program outside libuv (posix_spawn through koffi): libuv must not know the child, or
 * its SIGCHLD handler would reap the ptrace stops of what we trace.
 */
export function spawnDetachedFromLibuv(path: string, argv: string[]): number {
  const pid = [0];
  const rc = native.posixSpawn(pid, path, null, null, [...argv, null], [null]);
  if (rc !== 0) throw new SysError('posix_spawn', rc, path);
  return pid[0]!;
}
