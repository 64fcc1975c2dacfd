import { VmaKind, type Vma } from '../generated/messages.js';
import { USER_SPACE_END, VSYSCALL_ADDRESS } from '../limits.js';
import { checkAbsolutePath, checkPageAligned, checkPid, checkUserAddress, fail, hex } from './checks.js';

const PROT_ALL = 7;
/** The smaps VmFlags madvise can set again. */
export const RESTORABLE_ADVICE: ReadonlySet<string> = new Set(['dc', 'wf', 'dd', 'hg', 'nh', 'mg']);

export function validateVma(v: Vma): void {
  checkPid(v.pid, 'pid');
  if (v.start === VSYSCALL_ADDRESS) fail('the vsyscall page is never recorded: the kernel provides it');
  checkPageAligned(v.start, 'start');
  checkPageAligned(v.end, 'end');
  if (v.start >= v.end) fail(`start ${hex(v.start)} is not below end ${hex(v.end)}`);
  if (v.start >= USER_SPACE_END) fail(`start ${hex(v.start)} is beyond user space (${hex(USER_SPACE_END)})`);
  checkUserAddress(v.end, 'end');
  if (v.prot > PROT_ALL) fail(`prot ${v.prot} has bits beyond PROT_READ|PROT_WRITE|PROT_EXEC`);
  checkPageAligned(v.pgoff, 'pgoff');
  if (v.kind === VmaKind.FILE_PRIVATE || v.kind === VmaKind.FILE_SHARED) checkAbsolutePath(v.path, 'path');
  if (v.kind === VmaKind.SYSV_SHM && v.shmid > 0x7fffffffn) fail(`shmid ${v.shmid} is beyond what an IPC id can be`);
  for (const a of v.advice) if (!RESTORABLE_ADVICE.has(a)) fail(`advice ${JSON.stringify(a)} is not one madvise restores`);
}
