import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  CC, LFLAG, openMaster, openSlave, openPeer, ptyIndex, isPtyLocked, setPtyLocked, getTermios, setTermios,
  getLockedTermios, setLockedTermios, getWinsize, setWinsize, isPacketMode, setPacketMode, isExclusive,
  setExclusive, terminalSession, foregroundGroup, inputQueued, outputQueued, injectInput, openPtyWithIndex,
  ptyMax, setNonBlocking, SysError,
} from '../src/index.js';

function withPair(fn: (master: number, slave: number, index: number) => void): void {
  const master = openMaster();
  let slave = -1;
  try {
    setPtyLocked(master, false);
    const index = ptyIndex(master);
    slave = openSlave(index);
    fn(master, slave, index);
  } finally {
    if (slave >= 0) fs.closeSync(slave);
    fs.closeSync(master);
  }
}

function isErrno(code: string) {
  return (e: unknown) => e instanceof SysError ? e.message.endsWith(code) : (e as NodeJS.ErrnoException).code === code;
}

test('a fresh master is locked; unlocked, its slave opens by index and through TIOCGPTPEER', () => {
  const master = openMaster();
  try {
    const index = ptyIndex(master);
    assert.ok(fs.existsSync(`/dev/pts/${index}`));
    assert.equal(isPtyLocked(master), true);
    assert.throws(() => openSlave(index), isErrno('EIO'));
    setPtyLocked(master, false);
    assert.equal(isPtyLocked(master), false);
    const byPath = openSlave(index);
    const byPeer = openPeer(master);
    try {
      assert.equal(fs.fstatSync(byPeer).rdev, fs.fstatSync(byPath).rdev);
    } finally {
      fs.closeSync(byPath);
      fs.closeSync(byPeer);
    }
  } finally {
    fs.closeSync(master);
  }
});

test('termios, locked termios and window size round-trip through both ends', () => {
  withPair((master, slave) => {
    const t = getTermios(slave);
    assert.equal(t.cc.length, 19);
    assert.deepEqual(getTermios(master), t, 'a master reports its slave termios');
    const changed = { ...t, lflag: t.lflag & ~LFLAG.ECHO, cc: t.cc.map((c, i) => (i === CC.VMIN ? 5 : c)) };
    setTermios(master, changed);
    assert.deepEqual(getTermios(slave), changed);

    const locked = getLockedTermios(slave);
    const lockEcho = { ...locked, lflag: LFLAG.ECHO };
    setLockedTermios(master, lockEcho);
    assert.deepEqual(getLockedTermios(slave), lockEcho);
    setTermios(slave, { ...changed, lflag: changed.lflag | LFLAG.ECHO });
    assert.equal(getTermios(slave).lflag & LFLAG.ECHO, 0, 'a locked bit keeps its value');
    setLockedTermios(slave, locked);

    setWinsize(master, { rows: 33, cols: 101, xpixel: 7, ypixel: 9 });
    assert.deepEqual(getWinsize(slave), { rows: 33, cols: 101, xpixel: 7, ypixel: 9 });
  });
});

test('packet and exclusive modes switch on and off', () => {
  withPair((master, slave) => {
    assert.equal(isPacketMode(master), false);
    setPacketMode(master, true);
    assert.equal(isPacketMode(master), true);
    setPacketMode(master, false);
    assert.equal(isPacketMode(master), false);
    assert.equal(isExclusive(slave), false);
    setExclusive(slave, true);
    assert.equal(isExclusive(slave), true);
    setExclusive(slave, false);
    assert.equal(isExclusive(slave), false);
  });
});

test('TIOCSTI feeds a line discipline at once; FIONREAD and TIOCOUTQ count', () => {
  withPair((master, slave) => {
    const t = getTermios(slave);
    setTermios(slave, { ...t, lflag: t.lflag & ~(LFLAG.ICANON | LFLAG.ECHO) });
    injectInput(slave, Buffer.from('ab'));
    assert.equal(inputQueued(slave), 2);
    assert.equal(outputQueued(slave), 0);
    injectInput(master, Buffer.from('xyz'));
    assert.equal(inputQueued(master), 3, 'on a master it is what the terminal side reads');
    const buf = Buffer.alloc(8);
    assert.equal(fs.readSync(slave, buf), 2);
    assert.equal(buf.subarray(0, 2).toString(), 'ab');
    assert.equal(fs.readSync(master, buf), 3);
  });
});

test('session and foreground group read through the master of a controlling terminal', async () => {
  const master = openMaster();
  let slave = -1;
  try {
    setPtyLocked(master, false);
    slave = openSlave(ptyIndex(master));
    assert.throws(() => terminalSession(master), isErrno('ENOTTY'), 'no session yet');
    const child = spawn('setsid', ['-c', 'sleep', '30'], { stdio: [slave, 'ignore', 'ignore'] });
    try {
      let sid = 0;
      for (let i = 0; i < 200 && sid === 0; i++) {
        try { sid = terminalSession(master); } catch { await new Promise((r) => setTimeout(r, 5)); }
      }
      assert.ok(sid > 0);
      assert.equal(foregroundGroup(master), sid);
      assert.match(fs.readFileSync(`/proc/${sid}/comm`, 'utf8'), /sleep|setsid/);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    if (slave >= 0) fs.closeSync(slave);
    fs.closeSync(master);
  }
});

test('O_NONBLOCK is set and reported as it was', () => {
  withPair((master) => {
    assert.equal(setNonBlocking(master, true), false);
    assert.equal(setNonBlocking(master, false), true);
    assert.equal(setNonBlocking(master, false), false);
  });
});

test('openPtyWithIndex skips lower indexes, closes them, and refuses a used or impossible index', () => {
  const lockFile = path.join(os.tmpdir(), `ferry-pty-test-${process.pid}`, 'pty.lock');
  const first = openMaster(); // the lowest free index, held so the search must step over others
  try {
    const low = ptyIndex(first);
    let target = low + 3;
    while (fs.existsSync(`/dev/pts/${target}`)) target++;
    const skipped = [...Array(target - low - 1).keys()].map((i) => low + 1 + i).filter((n) => !fs.existsSync(`/dev/pts/${n}`));
    const fd = openPtyWithIndex(target, lockFile);
    try {
      assert.equal(ptyIndex(fd), target);
      assert.ok(fs.existsSync(lockFile));
      assert.deepEqual(skipped.filter((n) => fs.existsSync(`/dev/pts/${n}`)), [], 'masters opened on the way are closed');
    } finally {
      fs.closeSync(fd);
    }
    assert.throws(() => openPtyWithIndex(low, lockFile), /already in use/);
    assert.throws(() => openPtyWithIndex(ptyMax(), lockFile), /out of range/);
    assert.throws(() => openPtyWithIndex(target + 5, lockFile, { maxAttempts: 2 }), /not reached after 2/);
  } finally {
    fs.closeSync(first);
    fs.rmSync(path.dirname(lockFile), { recursive: true, force: true });
  }
});

test('no pty descriptor is left open', () => {
  const open = fs.readdirSync('/proc/self/fd').filter((fd) => Number(fd) > 2)
    .map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } })
    .filter((l) => l.startsWith('/dev/pts/') || l === '/dev/ptmx');
  assert.deepEqual(open, []);
});
