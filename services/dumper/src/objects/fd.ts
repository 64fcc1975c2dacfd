import type { Fd, RegFile } from '@ferry/proto';
import { listFds, readFdInfo, sameOpenFile, type FdInfo } from '@ferry/sys';
import { describeRegularFile, isCloexec } from './regfile.js';

export class UnsupportedFdError extends Error {}

export interface TaskFiles {
  fds: Fd[];
  files: RegFile[];
}

function whatItIs(target: string): string {
  if (target.startsWith('socket:')) return `${target} (a socket)`;
  if (target.startsWith('pipe:')) return `${target} (a pipe)`;
  if (target.startsWith('anon_inode:')) return target;
  if (/^\/dev\/(pts\/|tty|ptmx|console)/.test(target)) return `${target} (a terminal)`;
  return target;
}

/**
 * The descriptors of a task and the open files behind them. Descriptors that share one open file
 * description (dup, fork) share one file record, so they keep sharing an offset after restore.
 */
export function collectFds(pid: number): TaskFiles {
  const fds: Fd[] = [];
  const files: RegFile[] = [];
  const seen: { info: FdInfo; file: RegFile }[] = [];
  for (const fd of listFds(pid)) {
    const info = readFdInfo(pid, fd);
    const twin = seen.find((s) => s.file.path === info.target && sameOpenFile(pid, s.info.fd, pid, fd));
    if (twin) {
      fds.push({ pid, fd, cloexec: isCloexec(info), fileId: twin.file.id });
      continue;
    }
    const file = describeRegularFile(pid, info, `file:${pid}:${fd}`);
    if (typeof file === 'string') throw new UnsupportedFdError(`unsupported file descriptor ${fd}: ${whatItIs(file)}`);
    seen.push({ info, file });
    files.push(file);
    fds.push({ pid, fd, cloexec: isCloexec(info), fileId: file.id });
  }
  return { fds, files };
}
