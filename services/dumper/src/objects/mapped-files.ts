import fs from 'node:fs';
import type { MapEntry } from '@ferry/sys';
import type { DescribeContext, FileObject } from './file-kinds.js';
import { memfdName, memfdRecord } from './memfd.js';
import { ghostPath, ghostRecord } from './ghost.js';

const O_RDONLY = 0, O_RDWR = 2;

/** Per dump: "KIND:DEV:INO" -> the record that mappings of that memfd or ghost file name. */
const mappedFiles = new WeakMap<DescribeContext, Map<string, FileObject>>();

function registry(ctx: DescribeContext): Map<string, FileObject> {
  let files = mappedFiles.get(ctx);
  if (!files) mappedFiles.set(ctx, (files = new Map()));
  return files;
}

/** Whether an earlier record of the dump (a descriptor's or a mapping's) already carries the bytes of this memfd or ghost file. */
export function contentsTaken(ctx: DescribeContext, kind: 'memfd' | 'ghost', dev: bigint, ino: bigint): boolean {
  if (registry(ctx).has(`${kind}:${dev}:${ino}`)) return true;
  return ctx.seen.some(({ file }) => (kind === 'memfd' && file.kind === 'memfd' && file.payload.ino === ino)
    || (kind === 'ghost' && file.kind === 'ghost' && file.payload.dev === dev && file.payload.ino === ino));
}

/**
 * The record a mapping of a memfd or of a file unlinked while open maps: one description of the
 * file per dump, read-write so that every mapping of it can be made from it, written once
 * (`fresh`). A string says why it cannot be carried; null: the mapping is of no such file.
 */
export function mappedFileOf(pid: number, m: MapEntry, ctx: DescribeContext): { file: FileObject; fresh: boolean } | string | null {
  const source = `/proc/${pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`;
  const name = memfdName(m.path);
  const path = name === undefined ? ghostPath(m.path) : undefined;
  if (name === undefined && path === undefined) return null;
  const kind = name !== undefined ? 'memfd' : 'ghost';
  const files = registry(ctx);
  const st = fs.statSync(source, { bigint: true });
  const key = `${kind}:${st.dev}:${st.ino}`;
  const known = files.get(key);
  if (known) return { file: known, fresh: false };
  const what = `the mapping of ${m.path} at 0x${m.start.toString(16)} in pid ${pid}`;
  const d = { id: `file:mapped:${kind}:${st.dev}:${st.ino}`, flags: O_RDWR, pos: 0n };
  const file = name !== undefined ? memfdRecord(source, name, d, ctx, what) : ghostRecord(source, path!, d, ctx, what);
  if (file === null || typeof file === 'string') return file;
  files.set(key, file);
  return { file, fresh: true };
}

/**
 * The ghost record of pid PID's program, deleted while it runs (EXE is what /proc/PID/exe reads):
 * its mappings name the same record. Read-only: PR_SET_MM_MAP refuses (EACCES) an exe_fd whose
 * description may write.
 */
export function deletedProgramOf(pid: number, exe: string, ctx: DescribeContext): { file: FileObject; fresh: boolean } | string {
  const source = `/proc/${pid}/exe`;
  const path = ghostPath(exe);
  const st = fs.statSync(source, { bigint: true });
  if (path === undefined || !st.isFile() || st.nlink !== 0n) return `its program ${exe}, which is no deleted regular file`;
  const key = `ghost:${st.dev}:${st.ino}`;
  const files = registry(ctx);
  const known = files.get(key);
  if (known) return { file: known, fresh: false };
  const d = { id: `file:mapped:ghost:${st.dev}:${st.ino}`, flags: O_RDONLY, pos: 0n };
  const file = ghostRecord(source, path, d, ctx, `its program ${exe}`);
  if (file === null) return `its program ${exe}, which is no deleted regular file`;
  if (typeof file === 'string') return file;
  files.set(key, file);
  return { file, fresh: true };
}
