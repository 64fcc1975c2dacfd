import fs from 'node:fs';
import { O_CLOEXEC, O_LARGEFILE } from '@ferry/sys';
import type { DescribeContext, FileDescriber } from './file-kinds.js';
import { readWholeFile } from './file-contents.js';
import { deadProcfsPid } from './remap.js';

const DELETED = ' (deleted)';
const CREATION_FLAGS = 0o100 | 0o200 | 0o1000 | 0o400; // O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY

function alreadyDumped(ctx: DescribeContext, dev: bigint, ino: bigint): boolean {
  return ctx.seen.some(({ file }) => file.kind === 'ghost' && file.payload.dev === dev && file.payload.ino === ino);
}

/**
 * A regular file unlinked while open: its bytes are kept (once per file, up to --ghost-limit),
 * read through a reader of our own so that the task's offset stays where it was.
 */
export const describeGhost: FileDescriber = (pid, info, id, ctx) => {
  if (!info.target.startsWith('/') || !info.target.endsWith(DELETED) || deadProcfsPid(info.target) !== null) return null;
  const what = `${info.target} of pid ${pid}`;
  const reader = fs.openSync(`/proc/${pid}/fd/${info.fd}`, fs.constants.O_RDONLY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(reader, { bigint: true });
    if (!st.isFile() || st.nlink !== 0n) return null; // a name that merely ends so, or a directory: regfile.ts tells
    if (st.size > BigInt(ctx.ghostLimit)) {
      return `${what} (a deleted file of ${st.size} bytes, more than the ghost limit of ${ctx.ghostLimit}: dump with --ghost-limit ${st.size} or more)`;
    }
    const contents = !alreadyDumped(ctx, st.dev, st.ino) && ctx.contents ? readWholeFile(reader, Number(st.size), what) : Buffer.alloc(0);
    return {
      kind: 'ghost',
      id,
      payload: {
        id, path: info.target.slice(0, -DELETED.length), flags: info.flags & ~O_CLOEXEC & ~O_LARGEFILE & ~CREATION_FLAGS, pos: info.pos,
        dev: st.dev, ino: st.ino, size: st.size, contents, mode: Number(st.mode & 0o7777n),
      },
    };
  } finally {
    fs.closeSync(reader);
  }
};
