import fs from 'node:fs';
import type { RegFile } from '@ferry/proto';
import { RegFileType } from '@ferry/proto';
import type { FdInfo } from '@ferry/sys';
import type { FileObject } from './file-kinds.js';
import { deadProcfsPid, procfsPath } from './remap.js';

const O_CLOEXEC = 0o2000000;
const CREATION_FLAGS = 0o100 | 0o200 | 0o1000 | 0o400; // O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY
// Memory devices (major 1) hold no state a process could lose: null, zero, full, random, urandom.
const PLAIN_CHAR_DEVICES = new Set([3, 5, 7, 8, 9]);

/** A regular file, directory or plain character device; what else a path names cannot be one. */
export function describeRegularFile(pid: number, info: FdInfo, id: string): FileObject | string | null {
  const file = regularFile(pid, info, id);
  return typeof file === 'string' || file === null ? file : { kind: 'regfile', id, payload: file };
}

function regularFile(pid: number, info: FdInfo, id: string): RegFile | string | null {
  if (!info.target.startsWith('/')) return null;
  const deadProcfs = deadProcfsPid(info.target) !== null;
  if (info.target.endsWith(' (deleted)') && !deadProcfs) return `${info.target} (a deleted file)`;
  const st = fs.statSync(`/proc/${pid}/fd/${info.fd}`, { bigint: true });
  const common = {
    id,
    path: deadProcfs ? procfsPath(info.target) : info.target,
    flags: info.flags & ~O_CLOEXEC & ~CREATION_FLAGS,
    pos: info.pos,
    mode: Number(st.mode & 0o7777n),
    dev: st.dev,
    ino: st.ino,
  };
  if (st.isFile()) return { ...common, type: RegFileType.REGULAR, size: st.size, rdev: 0 };
  if (st.isDirectory()) return { ...common, type: RegFileType.DIRECTORY, size: 0n, rdev: 0 };
  if (st.isCharacterDevice()) {
    const rdev = Number(st.rdev);
    const major = (rdev >> 8) & 0xfff;
    const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
    if (major === 1 && PLAIN_CHAR_DEVICES.has(minor)) return { ...common, type: RegFileType.CHARDEV, size: 0n, rdev };
    return `${info.target} (character device ${major}:${minor})`;
  }
  return `${info.target} (${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'an unsupported file type'})`;
}

export function isCloexec(info: FdInfo): boolean {
  return (info.flags & O_CLOEXEC) !== 0;
}
