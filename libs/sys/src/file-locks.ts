import fs from 'node:fs';

// File locks as the kernel shows them (fs/locks.c, lock_get_status) and the calls that take
// them: flock(2), fcntl(2) POSIX record locks and open-file-description (OFD) locks.

export type LockKind = 'flock' | 'posix' | 'ofd';

export interface ShownLock {
  /** FLOCK, POSIX or OFDLCK; anything else (a lease, a delegation, ACCESS) as the kernel names it. */
  kind: LockKind | string;
  exclusive: boolean;
  /** The pid that took it (a POSIX lock's owner); -1 for OFD locks, which no process owns. */
  pid: number;
  dev: string;
  ino: bigint;
  start: bigint;
  /** Last byte locked; null up to the end of the file, however far it grows. */
  end: bigint | null;
  /** A process waiting for this lock (a "->" line of /proc/locks), not holding it. */
  blocked: boolean;
}

const KINDS: Record<string, LockKind> = { FLOCK: 'flock', POSIX: 'posix', OFDLCK: 'ofd' };

// "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 0 EOF", "2: -> FLOCK  ADVISORY  READ  99 00:2a:7 0 EOF"
const LOCK_LINE = /^\d+:\s+(->\s+)?(\S+)\s+\S+\s+(\S+)\s+(-?\d+)\s+([0-9a-f]+:[0-9a-f]+):(\d+)\s+(\d+)\s+(EOF|\d+)\s*$/;

export function parseLockLine(line: string): ShownLock {
  const m = LOCK_LINE.exec(line.trim());
  if (!m) throw new Error(`cannot parse the lock line "${line.trim()}"`);
  return {
    kind: KINDS[m[2]!] ?? m[2]!,
    exclusive: m[3] === 'WRITE',
    pid: Number(m[4]),
    dev: m[5]!,
    ino: BigInt(m[6]!),
    start: BigInt(m[7]!),
    end: m[8] === 'EOF' ? null : BigInt(m[8]!),
    blocked: m[1] !== undefined,
  };
}

/**
 * The locks held through one descriptor, from its fdinfo text: flock and OFD locks of its open
 * file description, and POSIX locks the reading task owns that were taken through it.
 */
export function locksOfFdInfo(text: string): ShownLock[] {
  return text.split('\n').filter((l) => l.startsWith('lock:')).map((l) => parseLockLine(l.slice(5)));
}

/** Every lock of the system, blocked waiters included (/proc/locks). */
export function readProcLocks(): ShownLock[] {
  return fs.readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => l.trim()).map(parseLockLine);
}

export const LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
export const F_SETLK = 6, F_OFD_SETLK = 37;
export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;

/** struct flock of x86_64: l_type, l_whence (SEEK_SET), l_start, l_len (0: to the end), l_pid. */
export function flockStruct(exclusive: boolean, start: bigint, length: bigint): Buffer {
  const b = Buffer.alloc(32);
  b.writeInt16LE(exclusive ? F_WRLCK : F_RDLCK, 0);
  b.writeInt16LE(0, 2);
  b.writeBigInt64LE(start, 8);
  b.writeBigInt64LE(length, 16);
  return b;
}
