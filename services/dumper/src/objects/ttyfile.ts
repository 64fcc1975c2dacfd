import { readStat, O_ACCMODE, O_NONBLOCK, type FdInfo } from '@ferry/sys';
import type { FileDescriber, FileObject } from './file-kinds.js';

const SLAVE = /^\/dev\/pts\/(\d+)( \(deleted\))?$/;
const MASTERS = new Set(['/dev/ptmx', '/dev/pts/ptmx']);
const O_APPEND = 0o2000, O_NOCTTY = 0o400, O_LARGEFILE = 0o100000, O_CLOEXEC = 0o2000000;
const KEPT_FLAGS = O_ACCMODE | O_NONBLOCK | O_APPEND | O_NOCTTY;
/** Unix98 pty slaves have majors 136..143, 256 minors each. */
const PTS_MAJOR_FIRST = 136, PTS_MAJOR_LAST = 143;

/** The pty index of a master fd, which its fdinfo states. */
function masterIndex(info: FdInfo): number | null {
  const m = /^tty-index:\s*(\d+)$/m.exec(info.text);
  return m ? Number(m[1]) : null;
}

/** The pty index of the task's controlling terminal, or null if it has none or it is no pty. */
export function controllingPty(pid: number): number | null {
  const ttyNr = readStat(pid).ttyNr;
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (ttyNr === 0 || major < PTS_MAJOR_FIRST || major > PTS_MAJOR_LAST) return null;
  return (major - PTS_MAJOR_FIRST) * 256 + minor;
}

/**
 * A descriptor on a pty end or on /dev/tty. Only which pair and which end: the pair's own state
 * is read once for the whole dump, with every holder known (tty.ts).
 */
export const describeTtyFile: FileDescriber = (pid, info, id) => {
  const what = `${info.target} of pid ${pid}`;
  const flags = info.flags & ~O_CLOEXEC & ~O_LARGEFILE;
  const slave = SLAVE.exec(info.target);
  let index: number | null;
  if (MASTERS.has(info.target)) index = masterIndex(info);
  else if (slave) index = Number(slave[1]);
  else if (info.target === '/dev/tty') index = controllingPty(pid);
  else return null;
  if (index === null) return `${what} (a terminal that is no Unix98 pty)`;
  if (flags & ~KEPT_FLAGS) return `${what} (open with flags 0o${flags.toString(8)}: O_ASYNC and the like are not supported on terminals)`;
  const file: FileObject = { kind: 'ttyfile', id, payload: { id, index, master: MASTERS.has(info.target), flags, devTty: info.target === '/dev/tty' } };
  return file;
};
