import type { Ghost } from '../generated/messages.js';
import { checkAbsolutePath, checkFileOffset, checkNotEmpty, fail } from './checks.js';
import { checkCarriedContents } from './memfd.js';

/** What the dump keeps of a ghost file unless --ghost-limit says otherwise (CRIU's default too). */
export const GHOST_LIMIT_DEFAULT = 1 << 20;
/** A ghost's bytes ride in its record: --ghost-limit can go up to this, far below the frame limit. */
export const GHOST_LIMIT_MAX = 16 << 20;
const FORBIDDEN_FLAGS = 0o100 | 0o200 | 0o1000 | 0o2000000;

export function validateGhost(g: Ghost): void {
  checkNotEmpty(g.id, 'id');
  checkAbsolutePath(g.path, 'path');
  if (g.flags & FORBIDDEN_FLAGS) fail(`flags 0o${g.flags.toString(8)} include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC`);
  if ((g.flags & 3) === 3) fail('flags have an access mode of 3');
  checkFileOffset(g.pos, 'pos');
  checkCarriedContents(g, GHOST_LIMIT_MAX, 'a ghost file');
  if (g.mode > 0o7777) fail(`mode 0o${g.mode.toString(8)} is not a permission mode`);
}
