import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  CC, IFLAG, LFLAG, OFLAG, PKT_STATUS, LDISC_CAPACITY, Termios, openMaster, openSlave, ptyIndex, setPtyLocked,
  getTermios, setTermios, getLockedTermios, setLockedTermios, setPacketMode, isPacketMode, inputQueued,
  setNonBlocking, sleepMs, readQueued, putBackQueued, injectInput,
} from '../src/index.js';

interface Pair { master: number; slave: number }

function withPairs(count: number, fn: (...pairs: Pair[]) => void): void {
  const fds: number[] = [];
  try {
    const pairs = Array.from({ length: count }, () => {
      const master = openMaster();
      fds.push(master);
      setPtyLocked(master, false);
      const slave = openSlave(ptyIndex(master));
      fds.push(slave);
      return { master, slave };
    });
    fn(...pairs);
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

function raw(t: Termios): Termios {
  const cc = t.cc.slice();
  cc[CC.VMIN] = 1;
  cc[CC.VTIME] = 0;
  return {
    ...t, cc,
    iflag: t.iflag & ~(IFLAG.BRKINT | IFLAG.ICRNL | IFLAG.INLCR | IFLAG.IGNCR | IFLAG.ISTRIP | IFLAG.IXON | IFLAG.PARMRK),
    oflag: t.oflag & ~OFLAG.OPOST,
    lflag: t.lflag & ~(LFLAG.ECHO | LFLAG.ECHONL | LFLAG.ICANON | LFLAG.ISIG | LFLAG.IEXTEN),
  };
}

function waitFor(what: string, cond: () => boolean): void {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    sleepMs(1);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** Every read that returns something until reads stay empty: a canonical slave gives one line each. */
function reads(fd: number): string[] {
  const was = setNonBlocking(fd, true);
  const out: string[] = [];
  const buf = Buffer.alloc(65536);
  try {
    for (let quiet = 0; quiet < 3;) {
      let n = -1;
      try { n = fs.readSync(fd, buf); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; }
      if (n >= 0) {
        out.push(buf.subarray(0, n).toString('latin1'));
        quiet = 0;
      } else {
        quiet++;
        sleepMs(2);
      }
    }
  } finally {
    setNonBlocking(fd, was);
  }
  return out;
}

const all = (fd: number) => reads(fd).join('');

/** Writes pattern bytes until the pty refuses more: what the kernel then holds. */
function fill(fd: number, chunk: (i: number) => Buffer): Buffer {
  const was = setNonBlocking(fd, true);
  const written: Buffer[] = [];
  try {
    for (let i = 0, refused = 0; refused < 3; i++) {
      const c = chunk(i);
      let n = 0;
      try { n = fs.writeSync(fd, c); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; }
      written.push(c.subarray(0, n));
      if (n < c.length) { refused++; sleepMs(3); }
    }
  } finally {
    setNonBlocking(fd, was);
  }
  return Buffer.concat(written);
}

function write(fd: number, s: string): void {
  fs.writeSync(fd, Buffer.from(s, 'latin1'));
}

test('raw mode: both directions are read exactly, left empty, and put back in order', () => {
  withPairs(1, ({ master, slave }) => {
    setTermios(slave, raw(getTermios(slave)));
    const before = getTermios(slave);
    write(slave, 'out\n');
    write(master, 'keys\r\x03\x7f\x00\xff');
    waitFor('input', () => inputQueued(slave) === 9);
    const q = readQueued(master, slave);
    assert.equal(q.input.toString('latin1'), 'keys\r\x03\x7f\x00\xff');
    assert.equal(q.output.toString('latin1'), 'out\n');
    assert.equal(q.unprocessedFrom, undefined);
    assert.deepEqual(reads(slave), [], 'reading consumes');
    assert.deepEqual(getTermios(slave), before);
    putBackQueued(master, slave, q);
    assert.deepEqual(getTermios(slave), before);
    assert.equal(all(slave), 'keys\r\x03\x7f\x00\xff');
    assert.equal(all(master), 'out\n');
  });
});

/** Cooked: a complete line, a partial one, and program output, all echoed as a terminal would. */
function typeCooked(master: number, slave: number): void {
  write(slave, 'out\n');
  write(master, 'hello\rwor');
  waitFor('echo', () => inputQueued(master) === 'out\r\nhello\r\nwor'.length);
}

function checkCookedAfterPutBack(master: number, slave: number): void {
  write(master, 'ld\r');
  assert.deepEqual(reads(slave), ['hello\n', 'world\n'], 'the partial line was completed');
  assert.equal(all(master), 'out\r\nhello\r\nworld\r\n', 'no second echo, no second ONLCR');
}

test('cooked mode: a partial line stays partial, nothing is echoed again, ONLCR applies once', () => {
  withPairs(1, ({ master, slave }) => {
    const t = getTermios(slave);
    assert.ok(t.lflag & LFLAG.ECHO && t.lflag & LFLAG.ICANON && t.oflag & OFLAG.ONLCR);
    typeCooked(master, slave);
    const q = readQueued(master, slave);
    assert.equal(q.input.toString(), 'hello\nwor');
    assert.deepEqual(q.lineEnds, [6]);
    assert.equal(q.output.toString(), 'out\r\nhello\r\nwor');
    assert.deepEqual(getTermios(slave), t);
    putBackQueued(master, slave, q);
    assert.deepEqual(getTermios(slave), t);
    checkCookedAfterPutBack(master, slave);
  });
});

test('cooked mode onto a new pair with the same termios (restore)', () => {
  withPairs(2, (old, fresh) => {
    const t = getTermios(old.slave);
    typeCooked(old.master, old.slave);
    const q = readQueued(old.master, old.slave);
    setTermios(fresh.slave, t);
    putBackQueued(fresh.master, fresh.slave, q);
    assert.deepEqual(getTermios(fresh.slave), t);
    checkCookedAfterPutBack(fresh.master, fresh.slave);
    assert.deepEqual(reads(old.slave), []);
  });
});

test('cooked mode keeps lines ended by VEOF and bytes quoted with VLNEXT', () => {
  withPairs(2, (a, b) => {
    // "abc" ended by ^D, an empty ^D line, a line holding a quoted ^D and '\n', then a partial line.
    write(a.master, 'abc\x04\x04x\x16\x04\x16\ny\npart');
    const q = readQueued(a.master, a.slave);
    assert.equal(q.input.toString('latin1'), 'abcx\x04\ny\npart');
    assert.deepEqual(q.lineEnds, [3, 3, 8]);
    putBackQueued(a.master, a.slave, q);
    assert.deepEqual(readQueued(a.master, a.slave), q, 'put back, the queue reads the same again');
    putBackQueued(a.master, a.slave, q);
    setTermios(b.slave, getTermios(a.slave));
    putBackQueued(b.master, b.slave, q);
    for (const { master, slave } of [a, b]) {
      write(master, '\n');
      assert.deepEqual(reads(slave), ['abc', '', 'x\x04\ny\n', 'part\n']);
    }
  });
});

test('everything the kernel holds: ldisc and flip buffers, raw, both directions', () => {
  withPairs(1, ({ master, slave }) => {
    setTermios(slave, raw(getTermios(slave)));
    const pattern = (i: number) => Buffer.from(Array.from({ length: 1000 }, (_, j) => (i * 1000 + j) % 251));
    const input = fill(master, pattern);
    const output = fill(slave, pattern);
    assert.ok(input.length > LDISC_CAPACITY * 2 && output.length > LDISC_CAPACITY * 2, `${input.length} ${output.length}`);
    const q = readQueued(master, slave);
    assert.ok(q.input.equals(input), `input ${q.input.length} of ${input.length}`);
    assert.ok(q.output.equals(output), `output ${q.output.length} of ${output.length}`);
    assert.equal(q.unprocessedFrom, LDISC_CAPACITY);
    putBackQueued(master, slave, q);
    assert.ok(Buffer.from(all(slave), 'latin1').equals(input));
    assert.ok(Buffer.from(all(master), 'latin1').equals(output));
  });
});

/** The program reading its lines while the terminal side reads what appears, until both stay empty. */
function converse({ master, slave }: Pair): { lines: string[]; screen: string } {
  const lines: string[] = [];
  let screen = '';
  const buf = Buffer.alloc(65536);
  const tryRead = (fd: number) => {
    try { return buf.subarray(0, fs.readSync(fd, buf)).toString('latin1'); } catch { return null; }
  };
  const was = [setNonBlocking(master, true), setNonBlocking(slave, true)];
  for (let quiet = 0; quiet < 5;) {
    const line = tryRead(slave), shown = tryRead(master);
    if (line !== null) lines.push(line);
    if (shown) screen += shown;
    if (line !== null || shown) quiet = 0;
    else { quiet++; sleepMs(2); }
  }
  setNonBlocking(master, was[0]);
  setNonBlocking(slave, was[1]);
  return { lines, screen };
}

test('everything the kernel holds, cooked with echo: typed-ahead lines beyond the ldisc, same and new pair', () => {
  withPairs(3, (a, b, fresh) => {
    const line = (i: number) => Buffer.from(`line ${String(i).padStart(5, '0')}\r`);
    for (const [from, to] of [[a, a], [b, fresh]]) {
      const typed = fill(from.master, line).toString();
      waitFor('echo of the first 4095 bytes', () => inputQueued(from.master) >= LDISC_CAPACITY);
      const q = readQueued(from.master, from.slave);
      assert.ok(q.input.length > LDISC_CAPACITY * 4, `${q.input.length}`);
      assert.equal(q.unprocessedFrom, LDISC_CAPACITY);
      // Unprocessed keystrokes are kept as typed: ICRNL has not run on them yet.
      assert.equal(q.input.subarray(LDISC_CAPACITY).toString(), typed.slice(LDISC_CAPACITY));
      if (to !== from) setTermios(to.slave, getTermios(from.slave));
      putBackQueued(to.master, to.slave, q);
      const lines = typed.replace(/\r/g, '\n').split(/(?<=\n)/);
      const partial = lines.pop()!;
      const seen = converse(to);
      assert.deepEqual(seen.lines, lines);
      assert.equal(seen.screen, typed.replace(/\r/g, '\r\n'), 'every keystroke echoed exactly once');
      write(to.master, '\r');
      assert.deepEqual(reads(to.slave), [`${partial}\n`]);
    }
  });
});

test('packet mode: a pending status is reported, stripped from the data, and re-created', () => {
  withPairs(1, ({ master, slave }) => {
    setPacketMode(master, true);
    write(slave, 'out');
    const t = getTermios(slave);
    setTermios(slave, { ...t, iflag: t.iflag & ~IFLAG.IXON }); // posts TIOCPKT_NOSTOP
    const q = readQueued(master, slave);
    assert.equal(q.packetStatus, PKT_STATUS.NOSTOP);
    assert.equal(q.output.toString(), 'out');
    assert.equal(isPacketMode(master), true);
    putBackQueued(master, slave, q);
    assert.deepEqual(reads(master), ['\x10', '\x00out']);
  });
});

test('locked termios, packet mode and blocking flags come back as they were', () => {
  withPairs(1, ({ master, slave }) => {
    const locked = { ...getLockedTermios(slave), lflag: LFLAG.ICANON | LFLAG.ECHO };
    setLockedTermios(slave, locked);
    setNonBlocking(slave, true);
    write(master, 'partial');
    const q = readQueued(master, slave);
    assert.equal(q.input.toString(), 'partial', 'ICANON was unlocked to read a partial line');
    assert.deepEqual(getLockedTermios(slave), locked);
    assert.equal(setNonBlocking(master, false), false);
    assert.equal(setNonBlocking(slave, true), true);
    putBackQueued(master, slave, q);
    assert.deepEqual(getLockedTermios(slave), locked);
    write(master, '\r');
    assert.deepEqual(reads(slave), ['partial\n']);
    setLockedTermios(slave, { ...locked, lflag: 0 });
  });
});

test('a terminal stopped by ^S stays stopped through read and put back, and ^Q restarts it', () => {
  withPairs(1, ({ master, slave }) => {
    write(slave, 'before\n');
    injectInput(slave, Buffer.from([0x13]));
    const tryWrite = () => { try { return fs.writeSync(slave, 'x'); } catch (e) { return (e as NodeJS.ErrnoException).code; } };
    setNonBlocking(slave, true);
    assert.equal(tryWrite(), 'EAGAIN');
    const q = readQueued(master, slave);
    assert.equal(q.output.toString(), 'before\r\n');
    assert.equal(tryWrite(), 'EAGAIN', 'IXON was not cleared');
    putBackQueued(master, slave, q);
    assert.equal(tryWrite(), 'EAGAIN');
    injectInput(slave, Buffer.from([0x11]));
    assert.equal(tryWrite(), 1);
    assert.equal(all(master), 'before\r\nx');
  });
});

test('no pty descriptor is left open', () => {
  const open = fs.readdirSync('/proc/self/fd').filter((fd) => Number(fd) > 2)
    .map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } })
    .filter((l) => l.startsWith('/dev/pts/') || l === '/dev/ptmx');
  assert.deepEqual(open, []);
});
