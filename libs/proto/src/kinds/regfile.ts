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

export function validateRegFile(f: RegFile): void {
  checkNotEmpty(f.id, 'id');
  checkAbsolutePath(f.path, 'path');
  if (f.flags & FORBIDDEN_FLAGS) fail(`flags 0o${f.flags.toString(8)} include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC`);
  checkFileOffset(f.pos, 'pos');
  checkFileOffset(f.size, 'size');
  if (f.mode > MODE_MAX) fail(`mode 0o${f.mode.toString(8)} is not a file mode`);
}
