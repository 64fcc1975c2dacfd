import { checkNotEmpty, fail } from './checks.js';
import { PTY_INDEX_MAX } from './tty.js';

/** An open file description on one end of a pty pair, or on /dev/tty. Object id: the file id. */
export interface TtyFile {
  id: string;
  index: number;
  master: boolean;
  flags: number;
  /** Opened as /dev/tty: reopened by the task once its terminal is back. */
  devTty: boolean;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    ttyfile: TtyFile;
  }
}

const O_ACCMODE = 3, O_NONBLOCK = 0o4000, O_APPEND = 0o2000, O_NOCTTY = 0o400, O_LARGEFILE = 0o100000;

export function validateTtyFile(f: TtyFile): void {
  checkNotEmpty(f.id, 'id');
  if (f.index >= PTY_INDEX_MAX) fail(`index ${f.index} is beyond the pty limit ${PTY_INDEX_MAX}`);
  if (f.flags & ~(O_ACCMODE | O_NONBLOCK | O_APPEND | O_NOCTTY | O_LARGEFILE)) fail(`flags 0o${f.flags.toString(8)} are not tty file flags`);
  if (f.devTty && f.master) fail('/dev/tty is never a master');
}
