import type { Fd, RecordSink } from '@ferry/proto';
import fs from 'node:fs';
import { openPidFd, type FdInfo } from '@ferry/sys';
import type { TaskCollector } from '../collector.js';
import { isCloexec } from './regfile.js';
import { remapOf } from './remap.js';
import { fdInfosOf, rememberSeen, seenTwin, type DescribeContext, type FileObject } from './file-kinds.js';

export class UnsupportedFdError extends Error {}

export interface TaskFiles {
  fds: Fd[];
  files: FileObject[];
}

function whatItIs(target: string): string {
  // A socket no kind knows (what a kind refuses says for itself what it is).
  if (/^socket:\[\d+\]$/.test(target)) return `${target} (a socket)`;
  if (target.startsWith('anon_inode:')) return target;
  if (/^\/dev\/(pts\/|tty|ptmx|console)/.test(target)) return `${target} (a terminal)`;
  return target;
}

function describe(pid: number, info: FdInfo, id: string, ctx: DescribeContext): FileObject {
  for (const d of ctx.describers) {
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
  const fds: Fd[] = [];
  const files: FileObject[] = [];
  const pidfd = openPidFd(pid);
  ctx.pidfds.set(pid, pidfd);
  try {
    for (const info of fdInfosOf(ctx, pid)) {
      const twin = seenTwin(ctx, pid, info);
      const file = twin ?? describe(pid, info, `file:${pid}:${info.fd}`, ctx);
      if (!twin) {
        rememberSeen(ctx, pid, info, file);
        files.push(file);
      }
      fds.push({ pid, fd: info.fd, cloexec: isCloexec(info), fileId: file.id });
    }
  } finally {
    ctx.pidfds.delete(pid);
    fs.closeSync(pidfd);
  }
  return { fds, files };
}

/** Writes the file's record, and the remap record after it when the path cannot simply be reopened. */
async function putFile(sink: RecordSink, file: FileObject): Promise<void> {
  // TypeScript cannot pair kind and payload through the union; FileObject's definition does.
  await sink.put(file.kind, file.id, file.payload as never);
  const remap = remapOf(file);
  if (remap) await sink.put('remap', remap.id, remap.payload);
}

/** The files no earlier task showed (each with its remap), then every descriptor naming its file. */
export const fdCollector: TaskCollector = {
  name: 'files',
  async collect(task, dump, sink) {
    const { fds, files } = collectFds(task.pid, dump.files);
    for (const file of files) await putFile(sink, file);
    for (const fd of fds) await sink.put('fd', `fd:${task.pid}:${fd.fd}`, fd);
    return `${fds.length} descriptors, ${files.length} new files`;
  },
};
