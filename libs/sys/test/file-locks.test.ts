// The lock lines of fdinfo and /proc/locks as this kernel writes them, read back into locks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { libc, locksOfFdInfo, parseLockLine, readProcLocks, LOCK_EX, LOCK_NB } from '../src/index.js';

const flock = libc.func('int flock(int fd, int operation)');

test('a flock this process holds shows in its fdinfo and in /proc/locks with its pid, inode and kind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-locks-'));
  const fd = fs.openSync(path.join(dir, 'f'), 'w');
  try {
    assert.equal(flock(fd, LOCK_EX | LOCK_NB), 0);
    const ino = fs.fstatSync(fd, { bigint: true }).ino;
    const shown = locksOfFdInfo(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    assert.equal(shown.length, 1);
    assert.deepEqual({ ...shown[0], dev: undefined }, { kind: 'flock', exclusive: true, pid: process.pid, dev: undefined, ino, start: 0n, end: null, blocked: false });
    assert.ok(readProcLocks().some((l) => l.kind === 'flock' && l.ino === ino && l.pid === process.pid));
  } finally {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true });
  }
});

test('POSIX ranges, OFD locks, blocked waiters and leases are told apart; a line of another shape is refused', () => {
  assert.deepEqual(parseLockLine('2: POSIX  ADVISORY  READ 9606 fe:00:2154580 128 128'),
    { kind: 'posix', exclusive: false, pid: 9606, dev: 'fe:00', ino: 2154580n, start: 128n, end: 128n, blocked: false });
  assert.deepEqual(parseLockLine('1: OFDLCK ADVISORY  WRITE -1 fe:00:2154855 0 4095'),
    { kind: 'ofd', exclusive: true, pid: -1, dev: 'fe:00', ino: 2154855n, start: 0n, end: 4095n, blocked: false });
  assert.equal(parseLockLine('1: -> POSIX  ADVISORY  WRITE 9607 fe:00:2154580 0 EOF').blocked, true);
  assert.equal(parseLockLine('3: LEASE  ACTIVE    READ  123 fe:00:7 0 EOF').kind, 'LEASE');
  assert.throws(() => parseLockLine('1: POSIX ADVISORY'), /^Error: cannot parse the lock line "1: POSIX ADVISORY"$/);
});
