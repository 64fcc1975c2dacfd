import type { FdInfo } from '@ferry/sys';
import type { FileObject } from './file-kinds.js';

const O_NONBLOCK = 0o4000;
const O_ACCMODE = 3;

/** A signalfd: the signals it reads (fdinfo's sigmask, in hex) and its mode. */
export function describeSignalFd(pid: number, info: FdInfo, id: string): FileObject | null {
  if (info.target !== 'anon_inode:[signalfd]') return null;
  const mask = /^sigmask:\s*([0-9a-f]+)$/m.exec(info.text);
  if (!mask) throw new Error(`fdinfo of fd ${info.fd} of pid ${pid} has no sigmask`);
  return { kind: 'signalfd', id, payload: { id, mask: BigInt(`0x${mask[1]}`), flags: info.flags & (O_NONBLOCK | O_ACCMODE) } };
}
