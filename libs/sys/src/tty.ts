import fs from 'node:fs';
import path from 'node:path';
import { libc, errno } from './libc.js';
import { SysError } from './errors.js';
import { checkedSyscall, setStatusFlags, SYS_fcntl, O_NONBLOCK } from './fcntl.js';

// Terminal ioctls on ferry's own descriptors of Unix98 pseudo-terminals. ioctl and fcntl are
// variadic in glibc: koffi's variadic calls pass each argument with its type.
const ioctlCall = libc.func('int ioctl(int fd, unsigned long request, ...)');
const flockCall = libc.func('int flock(int fd, int operation)');

export const TIOC = {
  TCGETS: 0x5401, TCSETS: 0x5402, TIOCEXCL: 0x540c, TIOCNXCL: 0x540d, TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f, TIOCSPGRP: 0x5410, TIOCOUTQ: 0x5411, TIOCSTI: 0x5412, TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414, FIONREAD: 0x541b, TIOCPKT: 0x5420, TIOCNOTTY: 0x5422, TIOCGSID: 0x5429,
  TIOCGPTN: 0x80045430, TIOCSPTLCK: 0x40045431, TIOCGPKT: 0x80045438, TIOCGPTLCK: 0x80045439,
  TIOCGEXCL: 0x80045440, TIOCGPTPEER: 0x5441, TIOCGLCKTRMIOS: 0x5456, TIOCSLCKTRMIOS: 0x5457,
} as const;

export const IFLAG = {
  IGNBRK: 0o1, BRKINT: 0o2, IGNPAR: 0o4, PARMRK: 0o10, INPCK: 0o20, ISTRIP: 0o40, INLCR: 0o100,
  IGNCR: 0o200, ICRNL: 0o400, IUCLC: 0o1000, IXON: 0o2000, IXANY: 0o4000, IXOFF: 0o10000,
  IMAXBEL: 0o20000, IUTF8: 0o40000,
} as const;
export const OFLAG = { OPOST: 0o1, OLCUC: 0o2, ONLCR: 0o4, OCRNL: 0o10, ONOCR: 0o20, ONLRET: 0o40 } as const;
export const LFLAG = {
  ISIG: 0o1, ICANON: 0o2, XCASE: 0o4, ECHO: 0o10, ECHOE: 0o20, ECHOK: 0o40, ECHONL: 0o100,
  NOFLSH: 0o200, TOSTOP: 0o400, ECHOCTL: 0o1000, ECHOPRT: 0o2000, ECHOKE: 0o4000, FLUSHO: 0o10000,
  PENDIN: 0o40000, IEXTEN: 0o100000, EXTPROC: 0o200000,
} as const;
/** Indexes into Termios.cc. */
export const CC = {
  VINTR: 0, VQUIT: 1, VERASE: 2, VKILL: 3, VEOF: 4, VTIME: 5, VMIN: 6, VSWTC: 7, VSTART: 8,
  VSTOP: 9, VSUSP: 10, VEOL: 11, VREPRINT: 12, VDISCARD: 13, VWERASE: 14, VLNEXT: 15, VEOL2: 16,
} as const;
/** Linux n_tty never treats a NUL byte as special, so 0 in a cc slot disables that character. */
export const POSIX_VDISABLE = 0;
/** Status bytes a packet-mode master reads (TIOCPKT_*). */
export const PKT_STATUS = {
  DATA: 0, FLUSHREAD: 1, FLUSHWRITE: 2, STOP: 4, START: 8, NOSTOP: 16, DOSTOP: 32, IOCTL: 64,
} as const;

/** The kernel's struct termios (36 bytes, 19 control characters), not glibc's larger one. */
export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: number[];
}
export const NCCS = 19;
export const TERMIOS_SIZE = 36;

export interface Winsize {
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
}

/** ioctl with a buffer argument; throws a SysError naming WHAT on failure. */
export function ioctlBuf(fd: number, request: number, buf: Buffer, what: string): number {
  const r = ioctlCall(fd, request, 'uint8_t *', buf) as number;
  if (r < 0) throw new SysError(`ioctl(${what})`, errno(), `on fd ${fd}`);
  return r;
}

/** ioctl whose argument is an integer passed by value (or none). */
export function ioctlInt(fd: number, request: number, value: number, what: string): number {
  const r = ioctlCall(fd, request, 'long', value) as number;
  if (r < 0) throw new SysError(`ioctl(${what})`, errno(), `on fd ${fd}`);
  return r;
}

function getInt(fd: number, request: number, what: string): number {
  const out = Buffer.alloc(4);
  ioctlBuf(fd, request, out, what);
  return out.readInt32LE(0);
}

function setInt(fd: number, request: number, value: number, what: string): void {
  const arg = Buffer.alloc(4);
  arg.writeInt32LE(value, 0);
  ioctlBuf(fd, request, arg, what);
}

export function decodeTermios(buf: Buffer): Termios {
  return {
    iflag: buf.readUInt32LE(0), oflag: buf.readUInt32LE(4), cflag: buf.readUInt32LE(8),
    lflag: buf.readUInt32LE(12), line: buf[16], cc: [...buf.subarray(17, 17 + NCCS)],
  };
}

export function encodeTermios(t: Termios): Buffer {
  if (t.cc.length !== NCCS) throw new Error(`termios needs ${NCCS} control characters, got ${t.cc.length}`);
  const buf = Buffer.alloc(TERMIOS_SIZE);
  buf.writeUInt32LE(t.iflag >>> 0, 0);
  buf.writeUInt32LE(t.oflag >>> 0, 4);
  buf.writeUInt32LE(t.cflag >>> 0, 8);
  buf.writeUInt32LE(t.lflag >>> 0, 12);
  buf[16] = t.line;
  Buffer.from(t.cc).copy(buf, 17);
  return buf;
}

function readTermios(fd: number, request: number, what: string): Termios {
  const buf = Buffer.alloc(TERMIOS_SIZE);
  ioctlBuf(fd, request, buf, what);
  return decodeTermios(buf);
}

// On a master, termios and window-size ioctls act on the slave side: both fds give one answer.
export const getTermios = (fd: number): Termios => readTermios(fd, TIOC.TCGETS, 'TCGETS');

/** Applies at once (TCSETS). Bits set in the locked termios keep their old value silently. */
export const setTermios = (fd: number, t: Termios): void => void ioctlBuf(fd, TIOC.TCSETS, encodeTermios(t), 'TCSETS');

/** The locked termios: non-zero bits and cc slots cannot be changed by TCSETS. */
export const getLockedTermios = (fd: number): Termios => readTermios(fd, TIOC.TIOCGLCKTRMIOS, 'TIOCGLCKTRMIOS');

/** Needs CAP_SYS_ADMIN. */
export const setLockedTermios = (fd: number, t: Termios): void => void ioctlBuf(fd, TIOC.TIOCSLCKTRMIOS, encodeTermios(t), 'TIOCSLCKTRMIOS');

export function isTermiosZero(t: Termios): boolean {
  return t.iflag === 0 && t.oflag === 0 && t.cflag === 0 && t.lflag === 0 && t.line === 0 && t.cc.every((c) => c === 0);
}

export function sameTermios(a: Termios, b: Termios): boolean {
  return a.iflag === b.iflag && a.oflag === b.oflag && a.cflag === b.cflag && a.lflag === b.lflag
    && a.line === b.line && a.cc.length === b.cc.length && a.cc.every((c, i) => c === b.cc[i]);
}

export function getWinsize(fd: number): Winsize {
  const buf = Buffer.alloc(8);
  ioctlBuf(fd, TIOC.TIOCGWINSZ, buf, 'TIOCGWINSZ');
  return { rows: buf.readUInt16LE(0), cols: buf.readUInt16LE(2), xpixel: buf.readUInt16LE(4), ypixel: buf.readUInt16LE(6) };
}

/** A change signals SIGWINCH to the foreground process group. */
export function setWinsize(fd: number, w: Winsize): void {
  const buf = Buffer.alloc(8);
  buf.writeUInt16LE(w.rows, 0);
  buf.writeUInt16LE(w.cols, 2);
  buf.writeUInt16LE(w.xpixel, 4);
  buf.writeUInt16LE(w.ypixel, 6);
  ioctlBuf(fd, TIOC.TIOCSWINSZ, buf, 'TIOCSWINSZ');
}

/** The pty's index N (/dev/pts/N); master only. */
export function ptyIndex(master: number): number {
  return getInt(master, TIOC.TIOCGPTN, 'TIOCGPTN');
}

/** Whether the slave is locked (cannot be opened); a fresh master starts locked. */
export function isPtyLocked(master: number): boolean {
  return getInt(master, TIOC.TIOCGPTLCK, 'TIOCGPTLCK') !== 0;
}

export function setPtyLocked(master: number, locked: boolean): void {
  setInt(master, TIOC.TIOCSPTLCK, locked ? 1 : 0, 'TIOCSPTLCK');
}

export function isPacketMode(master: number): boolean {
  return getInt(master, TIOC.TIOCGPKT, 'TIOCGPKT') !== 0;
}

/** Turning packet mode on discards a status byte the master has not read yet. */
export function setPacketMode(master: number, on: boolean): void {
  setInt(master, TIOC.TIOCPKT, on ? 1 : 0, 'TIOCPKT');
}

/** Exclusive mode: further opens fail with EBUSY, except with CAP_SYS_ADMIN. */
export function isExclusive(fd: number): boolean {
  return getInt(fd, TIOC.TIOCGEXCL, 'TIOCGEXCL') !== 0;
}

export function setExclusive(fd: number, on: boolean): void {
  ioctlInt(fd, on ? TIOC.TIOCEXCL : TIOC.TIOCNXCL, 0, on ? 'TIOCEXCL' : 'TIOCNXCL');
}

/** Session of the terminal. Through the master this works without being its controlling process. */
export function terminalSession(fd: number): number {
  return getInt(fd, TIOC.TIOCGSID, 'TIOCGSID');
}

/** Foreground process group; through the master as for terminalSession. */
export function foregroundGroup(fd: number): number {
  return getInt(fd, TIOC.TIOCGPGRP, 'TIOCGPGRP');
}

/** Only the terminal's own session may set it: callers are tasks with this controlling tty. */
export function setForegroundGroup(fd: number, pgrp: number): void {
  setInt(fd, TIOC.TIOCSPGRP, pgrp, 'TIOCSPGRP');
}

/** Makes the terminal the caller's controlling tty (caller must lead a session without one). */
export function makeControllingTerminal(fd: number, steal = false): void {
  ioctlInt(fd, TIOC.TIOCSCTTY, steal ? 1 : 0, 'TIOCSCTTY');
}

export function dropControllingTerminal(fd: number): void {
  ioctlInt(fd, TIOC.TIOCNOTTY, 0, 'TIOCNOTTY');
}

/**
 * Bytes a read on this fd would find in the line discipline now (FIONREAD). In canonical mode
 * only complete lines count; bytes still in the tty flip buffers never do.
 */
export function inputQueued(fd: number): number {
  return getInt(fd, TIOC.FIONREAD, 'FIONREAD');
}

/** TIOCOUTQ: what the driver holds unsent; ptys hand everything on at once, so 0. */
export function outputQueued(fd: number): number {
  return getInt(fd, TIOC.TIOCOUTQ, 'TIOCOUTQ');
}

/**
 * Feeds bytes into the fd's own line discipline as if received (TIOCSTI), synchronously and
 * processed by its current termios. On a slave that is program input; on a master it is what
 * the terminal side reads. Needs CAP_SYS_ADMIN unless it is the caller's controlling tty.
 * A byte finding the buffer full is dropped without error.
 */
export function injectInput(fd: number, bytes: Uint8Array): void {
  const one = Buffer.alloc(1);
  for (const b of bytes) {
    one[0] = b;
    ioctlBuf(fd, TIOC.TIOCSTI, one, 'TIOCSTI');
  }
}

const F_GETFL = 3;

/** The open file description's status flags (F_GETFL). */
export function fileStatusFlags(fd: number): number {
  return checkedSyscall(`fcntl(F_GETFL) on fd ${fd}`, SYS_fcntl, fd, F_GETFL);
}

/** Sets or clears O_NONBLOCK; returns whether it was set before. Shared by every dup of the fd. */
export function setNonBlocking(fd: number, on: boolean): boolean {
  const flags = fileStatusFlags(fd);
  const next = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (next !== flags) setStatusFlags(fd, next);
  return (flags & O_NONBLOCK) !== 0;
}

const { O_RDWR, O_NOCTTY } = fs.constants;
const O_CLOEXEC = 0o2000000;

/** A new pty master (locked, as every fresh master is). */
export function openMaster(): number {
  return fs.openSync('/dev/ptmx', O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/** Opens /dev/pts/INDEX; the master must be unlocked. */
export function openSlave(index: number, flags = O_RDWR | O_NOCTTY | O_CLOEXEC): number {
  return fs.openSync(`/dev/pts/${index}`, flags);
}

/** Opens the master's slave without a path lookup (TIOCGPTPEER), immune to mount tricks. */
export function openPeer(master: number, flags = O_RDWR | O_NOCTTY | O_CLOEXEC): number {
  return ioctlInt(master, TIOC.TIOCGPTPEER, flags, 'TIOCGPTPEER');
}

export function ptyMax(): number {
  return Number(fs.readFileSync('/proc/sys/kernel/pty/max', 'utf8').trim());
}

export const PTY_INDEX_LOCK = '/run/lock/ferry-pty.lock';
const LOCK_EX = 2, LOCK_NB = 4;

/** Blocks the calling thread (sync code waiting on the kernel's tty workers). */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs FN holding an exclusive flock on LOCKFILE (created if missing); waits up to TIMEOUTMS. */
export function withFileLock<T>(lockFile: string, timeoutMs: number, fn: () => T): T {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const fd = fs.openSync(lockFile, fs.constants.O_RDWR | fs.constants.O_CREAT | O_CLOEXEC, 0o600);
  try {
    const deadline = Date.now() + timeoutMs;
    while ((flockCall(fd, LOCK_EX | LOCK_NB) as number) < 0) {
      const e = errno();
      if (e !== 11 /* EWOULDBLOCK */) throw new SysError('flock', e, lockFile);
      if (Date.now() > deadline) throw new Error(`${lockFile} stayed locked for ${timeoutMs} ms`);
      sleepMs(5);
    }
    return fn();
  } finally {
    fs.closeSync(fd); // releases the lock
  }
}

function openMasterFor(index: number, opened: number): number {
  try {
    return openMaster();
  } catch (e) {
    throw new Error(`pty index ${index} is out of reach: /dev/ptmx failed after ${opened} masters (${(e as Error).message})`);
  }
}

export interface PtyIndexOptions {
  /** Masters opened in search of the index before giving up. */
  maxAttempts?: number;
  lockTimeoutMs?: number;
}

/**
 * A new pty master whose index is INDEX, so a restored program finds its /dev/pts/N again.
 * The devpts allocator hands out the lowest free index: masters with wrong indexes are held
 * open until the wanted one comes, then closed. Cooperating ferry processes serialise on a
 * host-wide flock; other pty users can still take the index first, which ends the search.
 */
export function openPtyWithIndex(index: number, lockFile = PTY_INDEX_LOCK, opts: PtyIndexOptions = {}): number {
  const { maxAttempts = 1024, lockTimeoutMs = 10_000 } = opts;
  const max = ptyMax();
  if (!Number.isInteger(index) || index < 0 || index >= max) {
    throw new Error(`pty index ${index} is out of range (kernel.pty.max is ${max})`);
  }
  return withFileLock(lockFile, lockTimeoutMs, () => {
    if (fs.existsSync(`/dev/pts/${index}`)) throw new Error(`pty index ${index} is already in use (/dev/pts/${index} exists)`);
    const held: number[] = [];
    try {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const fd = openMasterFor(index, held.length);
        const got = ptyIndex(fd);
        if (got === index) return fd;
        held.push(fd);
        if (got > index) throw new Error(`pty index ${index} was taken by someone else (the allocator moved on to ${got})`);
      }
      throw new Error(`pty index ${index} not reached after ${maxAttempts} masters`);
    } finally {
      for (const fd of held) fs.closeSync(fd);
    }
  });
}
