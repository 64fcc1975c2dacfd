import type { Tty } from '../generated/messages.js';
import { checkLength, checkPidOrZero, fail } from './checks.js';

export const TERMIOS_SIZE = 36;
/** The kernel's pty index limit (NR_UNIX98_PTY_MAX). */
export const PTY_INDEX_MAX = 1 << 20;
/** n_tty holds 4 KiB, the tty buffers behind it at most 64 KiB more per direction. */
export const TTY_QUEUED_MAX = 1 << 20;
const MODE_MAX = 0o7777;

export function validateTty(t: Tty): void {
  if (t.index >= PTY_INDEX_MAX) fail(`index ${t.index} is beyond the pty limit ${PTY_INDEX_MAX}`);
  if (!t.external && !t.hung) {
    checkLength(t.termios, 'termios', TERMIOS_SIZE, TERMIOS_SIZE);
    checkLength(t.lockedTermios, 'locked_termios', TERMIOS_SIZE, TERMIOS_SIZE);
  }
  for (const [field, v] of [['rows', t.rows], ['cols', t.cols], ['xpixel', t.xpixel], ['ypixel', t.ypixel]] as const) {
    if (v > 0xffff) fail(`${field} ${v} does not fit a window size`);
  }
  if (t.mode > MODE_MAX) fail(`mode 0o${t.mode.toString(8)} is not a permission mode`);
  checkPidOrZero(t.sid, 'sid');
  checkPidOrZero(t.pgrp, 'pgrp');
  if (t.pgrp !== 0 && t.sid === 0) fail(`foreground group ${t.pgrp} without a session`);
  checkLength(t.queuedInput, 'queued_input', 0, TTY_QUEUED_MAX);
  checkLength(t.queuedOutput, 'queued_output', 0, TTY_QUEUED_MAX);
  let previous = 0;
  for (const end of t.lineEnds) {
    if (end < previous || end > t.queuedInput.length) fail(`line end ${end} is out of order or beyond the ${t.queuedInput.length} queued input bytes`);
    previous = end;
  }
  if (t.unprocessedFrom > t.queuedInput.length) fail(`unprocessed_from ${t.unprocessedFrom} is beyond the ${t.queuedInput.length} queued input bytes`);
  if (t.packetStatus > 0xff) fail(`packet_status ${t.packetStatus} is not a byte`);
}
