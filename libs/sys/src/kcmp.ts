import { native, errno } from './libc.js';
import { SysError } from './errors.js';

const SYS_kcmp = 312;
const KCMP_FILE = 0;

/** Whether two descriptors (of two tasks, or of one) refer to one open file description. */
export function sameOpenFile(pid1: number, fd1: number, pid2: number, fd2: number): boolean {
  const r = Number(native.syscall6(SYS_kcmp, pid1, pid2, KCMP_FILE, fd1, fd2, 0));
  if (r < 0) throw new SysError('kcmp', errno(), `of ${pid1}:${fd1} and ${pid2}:${fd2}`);
  return r === 0;
}
