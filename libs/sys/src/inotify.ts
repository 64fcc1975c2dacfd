import fs from 'node:fs';
import { addressOf } from './libc.js';
import { checkedSyscall, O_CLOEXEC } from './fcntl.js';

// inotify: its watches as fdinfo shows them, the way from a watch's file handle back to a path,
// and the calls on ferry's own descriptors that make an instance again.
const SYS_ioctl = 16, SYS_inotify_add_watch = 254, SYS_inotify_init1 = 294, SYS_open_by_handle_at = 304;
/** _IOW('I', 0, __s32), CONFIG_CHECKPOINT_RESTORE: the watch descriptor the next watch gets (at least). */
const INOTIFY_IOC_SETNEXTWD = 0x40044900;
const O_PATH = 0o10000000, O_DIRECTORY = 0o200000;
/** Set on every watch made again: its path names the watched inode itself, never a link to it. */
export const IN_DONT_FOLLOW = 0x2000000;

export interface InotifyWatchInfo {
  wd: number;
  ino: bigint;
  /** The kernel's device number: major above bit 20, minor below. */
  sdev: number;
  mask: number;
  handleType: number;
  /** Empty when the file system gives no handles (procfs, sysfs, ...). */
  handle: Buffer;
}

/** The watches an inotify's fdinfo lists, by descriptor. */
export function parseInotifyWatches(fdinfo: string): InotifyWatchInfo[] {
  const watches: InotifyWatchInfo[] = [];
  for (const line of fdinfo.split('\n')) {
    if (!line.startsWith('inotify ')) continue;
    const hex = (name: string) => {
      const v = new RegExp(` ${name}:([0-9a-f]+)(?: |$)`).exec(line)?.[1];
      if (v === undefined) throw new Error(`fdinfo line "${line}" has no ${name}`);
      return v;
    };
    const bytes = parseInt(hex('fhandle-bytes'), 16);
    watches.push({
      wd: parseInt(hex('wd'), 16), ino: BigInt(`0x${hex('ino')}`), sdev: parseInt(hex('sdev'), 16), mask: parseInt(hex('mask'), 16),
      handleType: parseInt(hex('fhandle-type'), 16), handle: bytes === 0 ? Buffer.alloc(0) : Buffer.from(hex('f_handle'), 'hex').subarray(0, bytes),
    });
  }
  return watches.sort((a, b) => a.wd - b.wd);
}

/** A path to the watched file, through its file handle, opened on a mount of its file system as PID sees them. */
export function watchedPath(pid: number, w: InotifyWatchInfo): string {
  if (w.handle.length === 0) throw new Error(`its file system gives no file handles`);
  const dev = `${w.sdev >>> 20}:${w.sdev & 0xfffff}`;
  const mounts = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === dev);
  if (mounts.length === 0) throw new Error(`no mount of pid ${pid} is on device ${dev}`);
  mounts.sort((a, b) => Number(b[3] === '/') - Number(a[3] === '/'));
  const handle = Buffer.alloc(8 + w.handle.length);
  handle.writeUInt32LE(w.handle.length, 0);
  handle.writeInt32LE(w.handleType, 4);
  w.handle.copy(handle, 8);
  const mountpoint = mounts[0]![4]!.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const mount = fs.openSync(`/proc/${pid}/root${mountpoint}`, O_DIRECTORY | O_CLOEXEC);
  let file: number;
  try {
    file = checkedSyscall('open_by_handle_at', SYS_open_by_handle_at, mount, Number(addressOf(handle)), O_PATH | O_CLOEXEC);
  } finally {
    fs.closeSync(mount);
  }
  try {
    const path = fs.readlinkSync(`/proc/self/fd/${file}`);
    const st = fs.fstatSync(file, { bigint: true });
    if (!path.startsWith('/') || st.nlink === 0n) throw new Error(`the watched file ${path} was deleted`);
    return path;
  } finally {
    fs.closeSync(file);
  }
}

export function createInotify(flags = O_CLOEXEC): number {
  return checkedSyscall('inotify_init1', SYS_inotify_init1, flags);
}

/** Watches PATH with MASK; gives the watch's descriptor. */
export function addInotifyWatch(fd: number, path: string, mask: number): number {
  return checkedSyscall(`inotify_add_watch(${path})`, SYS_inotify_add_watch, fd, Number(addressOf(Buffer.from(path + '\0'))), mask);
}

/** The next watch of FD gets descriptor WD if it is free. */
export function setNextInotifyWd(fd: number, wd: number): void {
  checkedSyscall(`ioctl(INOTIFY_IOC_SETNEXTWD, ${wd})`, SYS_ioctl, fd, INOTIFY_IOC_SETNEXTWD, wd);
}
