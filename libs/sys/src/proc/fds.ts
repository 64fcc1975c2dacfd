import fs from 'node:fs';
import { native, errno, addressOf } from '../libc.js';
import { SysError } from '../errors.js';
import { SYS } from '../syscalls.js';

export interface FdInfo {
  fd: number;
  target: string;      // readlink of /proc/PID/fd/N
  pos: bigint;
  flags: number;       // open flags as fdinfo reports them, O_CLOEXEC included
  mntId: number;
  /** The whole of /proc/PID/fdinfo/N: kinds read their own lines (eventfd-count, tfd, tty-index). */
  text: string;
}

export function listFds(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
}

// A dump reads this for every descriptor of the tree: raw syscalls into buffers of ferry's, their
// addresses taken once, cost a third of what readlinkSync and readFileSync do per descriptor.
const PATH_MAX = 4096;
const SYS_readlink = 89;
const O_RDONLY_CLOEXEC = 0o2000000;
const pathBuf = Buffer.alloc(64);
const pathAddress = Number(addressOf(pathBuf));
const outBuf = Buffer.alloc(PATH_MAX);
const outAddress = Number(addressOf(outBuf));

function raw(nr: number, a: number, b = 0, c = 0): number {
  return Number(native.syscall6(nr, a, b, c, 0, 0, 0));
}

/** PATH as a C string in pathBuf (a /proc path is short and ASCII). */
function cPath(path: string): number {
  const n = pathBuf.write(path, 0, 'latin1');
  pathBuf[n] = 0;
  return pathAddress;
}

function readLink(path: string): string {
  const n = raw(SYS_readlink, cPath(path), outAddress, PATH_MAX);
  if (n < 0) throw new SysError('readlink', errno(), path);
  // A target of PATH_MAX bytes may be cut: ask the slow way, which sizes its buffer.
  return n < PATH_MAX ? outBuf.toString('utf8', 0, n) : fs.readlinkSync(path);
}

function readSmallFile(path: string): string {
  const fd = raw(SYS.open, cPath(path), O_RDONLY_CLOEXEC);
  if (fd < 0) throw new SysError('open', errno(), path);
  try {
    let length = 0;
    for (;;) {
      const n = raw(SYS.read, fd, outAddress + length, PATH_MAX - length);
      if (n < 0) throw new SysError('read', errno(), path);
      if (n === 0) return outBuf.toString('utf8', 0, length);
      length += n;
      // An fdinfo longer than the buffer (an epoll's or inotify's many lines): read it whole.
      if (length === PATH_MAX) return fs.readFileSync(path, 'utf8');
    }
  } finally {
    raw(SYS.close, fd);
  }
}

/** What follows `KEY` on its line of TEXT (KEY at a line's start), trimmed; '' when absent. */
function field(text: string, key: string): string {
  const newline = text.startsWith(key) ? -1 : text.indexOf(`\n${key}`);
  if (newline < 0 && !text.startsWith(key)) return '';
  const at = newline + 1;
  const end = text.indexOf('\n', at);
  return text.slice(at + key.length, end < 0 ? text.length : end).trim();
}

export function readFdInfo(pid: number, fd: number): FdInfo {
  const target = readLink(`/proc/${pid}/fd/${fd}`);
  const text = readSmallFile(`/proc/${pid}/fdinfo/${fd}`);
  const pos = field(text, 'pos:'), flags = field(text, 'flags:'), mntId = field(text, 'mnt_id:');
  return { fd, target, pos: pos ? BigInt(pos) : 0n, flags: flags ? parseInt(flags, 8) : 0, mntId: mntId ? Number(mntId) : 0, text };
}
