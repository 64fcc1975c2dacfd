import { FD_LIMIT } from '../limits.js';
import { checkNotEmpty, checkPid, fail } from './checks.js';

/** One descriptor of a task. Object id: "fd:PID:FD". */
export interface Fd {
  pid: number;
  fd: number;
  cloexec: boolean;
  /** Object id of the open file description it refers to. */
  fileId: string;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    fd: Fd;
  }
}

export function validateFd(f: Fd): void {
  checkPid(f.pid, 'pid');
  if (f.fd >= FD_LIMIT) fail(`fd ${f.fd} is not below ${FD_LIMIT}`);
  checkNotEmpty(f.fileId, 'fileId');
}
