import type { FdInfo } from '@ferry/sys';
import type { FileObject } from './file-kinds.js';

const O_NONBLOCK = 0o4000;
const O_ACCMODE = 3;

/** An eventfd: its counter and mode, read from fdinfo (the counter is printed in hex). */
export function describeEventFd(pid: number, info: FdInfo, id: string): FileObject | null {
  if (info.target !== 'anon_inode:[eventfd]') return null;
  const count = /^eventfd-count:\s*([0-9a-f]+)$/m.exec(info.text);
  if (!count) throw new Error(`fdinfo of fd ${info.fd} of pid ${pid} has no eventfd-count`);
  const semaphore = /^eventfd-semaphore:\s*1$/m.test(info.text);
  return { kind: 'eventfd', id, payload: { id, count: BigInt(`0x${count[1]}`), semaphore, flags: info.flags & (O_NONBLOCK | O_ACCMODE) } };
}
