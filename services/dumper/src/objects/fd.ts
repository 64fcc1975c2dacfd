import type { Fd } from '@ferry/proto';
import { listFds, readFdInfo, sameOpenFile, type FdInfo } from '@ferry/sys';
import { describeRegularFile, isCloexec } from './regfile.js';
import { describePipe } from './pipe.js';
import { describeEventFd } from './eventfd.js';
import { describeEventPoll } from './eventpoll.js';
import { describeTtyFile } from './ttyfile.js';
import { describeExternal } from './external.js';
import type { DescribeContext, FileDescriber, FileObject } from './file-kinds.js';

export class UnsupportedFdError extends Error {}

/**
 * Asked in order; the first that knows the descriptor describes it. External objects come first:
 * what the user left outside the checkpoint is not looked into.
 */
const describers: FileDescriber[] = [describeExternal, describePipe, describeEventFd, describeEventPoll, describeTtyFile, describeRegularFile];

export interface TaskFiles {
  fds: Fd[];
  files: FileObject[];
}

function whatItIs(target: string): string {
  if (target.startsWith('socket:')) return `${target} (a socket)`;
  if (target.startsWith('anon_inode:')) return target;
  if (/^\/dev\/(pts\/|tty|ptmx|console)/.test(target)) return `${target} (a terminal)`;
  return target;
}

function describe(pid: number, info: FdInfo, id: string, ctx: DescribeContext): FileObject {
  for (const d of describers) {
    const file = d(pid, info, id, ctx);
    if (file === null) continue;
    if (typeof file === 'string') throw new UnsupportedFdError(`unsupported file descriptor ${info.fd}: ${whatItIs(file)}`);
    return file;
  }
  throw new UnsupportedFdError(`unsupported file descriptor ${info.fd}: ${whatItIs(info.target)}`);
}

/**
 * The descriptors of a task and the open files behind them that no earlier task of the dump
 * showed. Descriptors that share one open file description (dup, fork, in one task or several)
 * share one file record, so they keep sharing it, and its offset, after restore.
 */
export function collectFds(pid: number, ctx: DescribeContext): TaskFiles {
  const seen = ctx.seen;
  const fds: Fd[] = [];
  const files: FileObject[] = [];
  for (const fd of listFds(pid)) {
    const info = readFdInfo(pid, fd);
    const twin = seen.find((s) => s.info.target === info.target && sameOpenFile(s.pid, s.info.fd, pid, fd));
    const file = twin?.file ?? describe(pid, info, `file:${pid}:${fd}`, ctx);
    if (!twin) {
      seen.push({ pid, info, file });
      files.push(file);
    }
    fds.push({ pid, fd, cloexec: isCloexec(info), fileId: file.id });
  }
  return { fds, files };
}
