import fs from 'node:fs';
import { MEMFD_CONTENTS_MAX } from '@ferry/proto';
import { sealsOf, O_CLOEXEC, O_LARGEFILE } from '@ferry/sys';
import type { DescribeContext, FileDescriber } from './file-kinds.js';
import { readWholeFile } from './file-contents.js';

const MEMFD = /^\/memfd:(.*) \(deleted\)$/;

function alreadyDumped(ctx: DescribeContext, ino: bigint): boolean {
  return ctx.seen.some(({ file }) => file.kind === 'memfd' && file.payload.ino === ino);
}

/**
 * A memfd: its name, mode and seals, and its contents once per memfd (in the record of its first
 * description), copied through a reader of our own so the task's offset stays where it was.
 */
export const describeMemFd: FileDescriber = (pid, info, id, ctx) => {
  const name = MEMFD.exec(info.target)?.[1];
  if (name === undefined) return null;
  const what = `${info.target} of pid ${pid}`;
  const reader = fs.openSync(`/proc/${pid}/fd/${info.fd}`, fs.constants.O_RDONLY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(reader, { bigint: true });
    if (!st.isFile()) return `${what} (a memfd that is not a regular file)`;
    if (st.size > BigInt(MEMFD_CONTENTS_MAX)) return `${what} (a memfd of ${st.size} bytes, more than the ${MEMFD_CONTENTS_MAX} a checkpoint keeps)`;
    const first = !alreadyDumped(ctx, st.ino) && ctx.contents;
    const contents = first ? readWholeFile(reader, Number(st.size), what) : Buffer.alloc(0);
    return {
      kind: 'memfd',
      id,
      payload: {
        id, name, flags: info.flags & ~O_CLOEXEC & ~O_LARGEFILE, pos: info.pos, ino: st.ino, size: st.size, contents,
        seals: sealsOf(reader), mode: Number(st.mode & 0o7777n),
      },
    };
  } finally {
    fs.closeSync(reader);
  }
};
