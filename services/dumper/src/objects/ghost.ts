import fs from 'node:fs';
import { O_CLOEXEC, O_LARGEFILE } from '@ferry/sys';
import type { DescribeContext, FileDescriber, FileObject } from './file-kinds.js';
import { readWholeFile } from './file-contents.js';
import { contentsTaken } from './mapped-files.js';
import type { Description } from './memfd.js';
import { deadProcfsPid } from './remap.js';

const DELETED = ' (deleted)';
const CREATION_FLAGS = 0o100 | 0o200 | 0o1000 | 0o400; // O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY

/** Where a file unlinked while open was, if TARGET (a /proc link) may be one. */
export function ghostPath(target: string): string | undefined {
  if (!target.startsWith('/') || !target.endsWith(DELETED) || deadProcfsPid(target) !== null) return undefined;
  return target.slice(0, -DELETED.length);
}

/**
 * A regular file unlinked while open, reached through SOURCE (a /proc link to it): its bytes are
 * kept once per file, up to --ghost-limit, read through a reader of our own. Null when it is no
 * ghost after all (a name that merely ends so, a directory: regfile.ts tells).
 */
export function ghostRecord(source: string, path: string, d: Description, ctx: DescribeContext, what: string): FileObject | string | null {
  const reader = fs.openSync(source, fs.constants.O_RDONLY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(reader, { bigint: true });
    if (!st.isFile() || st.nlink !== 0n) return null;
    if (st.size > BigInt(ctx.options.ghostLimit)) {
      return `${what} (a deleted file of ${st.size} bytes, more than the ghost limit of ${ctx.options.ghostLimit}: dump with --ghost-limit ${st.size} or more)`;
    }
    const taken = contentsTaken(ctx, 'ghost', st.dev, st.ino) || !ctx.contents;
    const contents = taken ? Buffer.alloc(0) : readWholeFile(reader, Number(st.size), what);
    return { kind: 'ghost', id: d.id, payload: { ...d, path, dev: st.dev, ino: st.ino, size: st.size, contents, mode: Number(st.mode & 0o7777n) } };
  } finally {
    fs.closeSync(reader);
  }
}

export const describeGhost: FileDescriber = (pid, info, id, ctx) => {
  const path = ghostPath(info.target);
  if (path === undefined) return null;
  const d = { id, flags: info.flags & ~O_CLOEXEC & ~O_LARGEFILE & ~CREATION_FLAGS, pos: info.pos };
  return ghostRecord(`/proc/${pid}/fd/${info.fd}`, path, d, ctx, `${info.target} of pid ${pid}`);
};
