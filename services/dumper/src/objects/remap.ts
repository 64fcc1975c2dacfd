import fs from 'node:fs';
import { RemapKind, type Remap } from '@ferry/proto';
import type { FileObject } from './file-kinds.js';

const PROC_PID_PATH = /^\/proc\/(\d+)(\/[^]*)?$/;
const DELETED = ' (deleted)';

/**
 * The pid of a dead process whose /proc directory TARGET (a /proc/PID/fd link) lies under, or
 * null. The kernel marks the directory of a reaped process "(deleted)"; files under it keep their
 * names.
 */
export function deadProcfsPid(target: string): number | null {
  const path = target.endsWith(DELETED) ? target.slice(0, -DELETED.length) : target;
  const m = PROC_PID_PATH.exec(path);
  if (!m) return null;
  return fs.existsSync(`/proc/${m[1]}`) ? null : Number(m[1]);
}

/** The path to reopen: without the "(deleted)" the kernel appends to a dead process's directory. */
export function procfsPath(target: string): string {
  return target.endsWith(DELETED) ? target.slice(0, -DELETED.length) : target;
}

/** The remap record a file needs, if it is one of a dead process's /proc files. */
export function remapOf(file: FileObject): { id: string; payload: Remap } | null {
  if (file.kind !== 'regfile') return null;
  const pid = deadProcfsPid(file.payload.path);
  return pid === null ? null : { id: `remap:${file.id}`, payload: { fileId: file.id, kind: RemapKind.PROCFS, pid } };
}
