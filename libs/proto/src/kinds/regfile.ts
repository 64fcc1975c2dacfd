import type { RegFile } from '../generated/messages.js';
import { checkAbsolutePath, checkFileOffset, checkNotEmpty, fail } from './checks.js';

// Reopening with these would create, truncate or leak the file: the dumper strips them.
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const FORBIDDEN_FLAGS = O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC;
/** st_mode: type and permission bits. */
const MODE_MAX = 0o177777;

const O_ACCMODE = 0o3;
const O_WRONLY = 0o1;
const O_APPEND = 0o2000;

/**
 * A file open write-only with O_APPEND (a log, `prog >> log`) is only ever appended to: what it
 * holds and how long it is matter to no one reading through this descriptor, so its size may grow
 * between dump and restore. Anything else reads or writes at its offset and needs the file as it was.
 */
export function onlyAppendedTo(f: Pick<RegFile, 'flags'>): boolean {
  return (f.flags & O_ACCMODE) === O_WRONLY && (f.flags & O_APPEND) !== 0;
}

export function validateRegFile(f: RegFile): void {
  checkNotEmpty(f.id, 'id');
  checkAbsolutePath(f.path, 'path');
  if (f.flags & FORBIDDEN_FLAGS) fail(`flags 0o${f.flags.toString(8)} include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC`);
  checkFileOffset(f.pos, 'pos');
  checkFileOffset(f.size, 'size');
  if (f.mode > MODE_MAX) fail(`mode 0o${f.mode.toString(8)} is not a file mode`);
}
