import type { TtyFile } from '../generated/messages.js';
import { checkNotEmpty, fail } from './checks.js';
import { PTY_INDEX_MAX } from './tty.js';

const O_ACCMODE = 3, O_NONBLOCK = 0o4000, O_APPEND = 0o2000, O_NOCTTY = 0o400, O_LARGEFILE = 0o100000;

export function validateTtyFile(f: TtyFile): void {
  checkNotEmpty(f.id, 'id');
  if (f.index >= PTY_INDEX_MAX) fail(`index ${f.index} is beyond the pty limit ${PTY_INDEX_MAX}`);
  if (f.flags & ~(O_ACCMODE | O_NONBLOCK | O_APPEND | O_NOCTTY | O_LARGEFILE)) fail(`flags 0o${f.flags.toString(8)} are not tty file flags`);
  if (f.devTty && f.master) fail('/dev/tty is never a master');
}
