import fs from 'node:fs';
import { PIDFD_OPEN_FLAGS } from '@ferry/proto';
import type { FileDescriber } from './file-kinds.js';

function state(pid: number): { zombie: boolean; tgid: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { zombie: /^State:\s*Z/m.test(status), tgid: Number(/^Tgid:\s*(\d+)$/m.exec(status)?.[1]) };
  } catch {
    return undefined;
  }
}

/**
 * A pidfd on a live process of the tree is carried by the pid it names: the restored holder gets
 * a new one on that pid. One on anything else would name another process, or none, after restore.
 */
export const describePidFd: FileDescriber = (pid, info, id, ctx) => {
  if (info.target !== 'anon_inode:[pidfd]') return null;
  const line = /^Pid:\s*(-?\d+)$/m.exec(info.text);
  if (!line) throw new Error(`fdinfo of fd ${info.fd} of pid ${pid} has no Pid line`);
  const of = Number(line[1]);
  const what = `${info.target} (a pidfd`;
  if (of <= 0) return `${what} of a process that has ended or lives in another pid namespace: not supported yet)`;
  if (!ctx.tree.has(of)) return `${what} of pid ${of}, which is outside the dumped tree: it cannot refer to it after restore)`;
  const target = state(of);
  if (target?.zombie) return `${what} of pid ${of}, a zombie: not supported yet)`;
  if (target !== undefined && target.tgid !== of) return `${what} of thread ${of}: not supported yet)`;
  return { kind: 'pidfd', id, payload: { id, pid: of, flags: info.flags & PIDFD_OPEN_FLAGS } };
};
