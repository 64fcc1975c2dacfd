import fs from 'node:fs';
import { MEMFD_CONTENTS_MAX } from '@ferry/proto';
import { sealsOf, O_CLOEXEC, O_LARGEFILE } from '@ferry/sys';
import type { DescribeContext, FileDescriber, FileObject } from './file-kinds.js';
import { readWholeFile } from './file-contents.js';
import { contentsTaken } from './mapped-files.js';

const MEMFD = /^\/memfd:(.*) \(deleted\)$/;

/** A description of one open memfd. */
export interface Description { id: string; flags: number; pos: bigint }

/** The memfd's name, if TARGET (a /proc link) is one. */
export function memfdName(target: string): string | undefined {
  return MEMFD.exec(target)?.[1];
}

/**
 * A memfd reached through SOURCE (a /proc link to it): its name, mode and seals, and its contents
 * once per memfd (in its first record), read through a reader of our own so that no offset moves.
 */
export function memfdRecord(source: string, name: string, d: Description, ctx: DescribeContext, what: string): FileObject | string {
  const reader = fs.openSync(source, fs.constants.O_RDONLY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(reader, { bigint: true });
    if (!st.isFile()) return `${what} (a memfd that is not a regular file)`;
    if (st.size > BigInt(MEMFD_CONTENTS_MAX)) return `${what} (a memfd of ${st.size} bytes, more than the ${MEMFD_CONTENTS_MAX} a checkpoint keeps)`;
    const taken = contentsTaken(ctx, 'memfd', st.dev, st.ino) || !ctx.contents;
    const contents = taken ? Buffer.alloc(0) : readWholeFile(reader, Number(st.size), what);
    return {
      kind: 'memfd',
      id: d.id,
      payload: { ...d, name, ino: st.ino, size: st.size, contents, seals: sealsOf(reader), mode: Number(st.mode & 0o7777n) },
    };
  } finally {
    fs.closeSync(reader);
  }
}

export const describeMemFd: FileDescriber = (pid, info, id, ctx) => {
  const name = memfdName(info.target);
  if (name === undefined) return null;
  const d = { id, flags: info.flags & ~O_CLOEXEC & ~O_LARGEFILE, pos: info.pos };
  return memfdRecord(`/proc/${pid}/fd/${info.fd}`, name, d, ctx, `${info.target} of pid ${pid}`);
};
