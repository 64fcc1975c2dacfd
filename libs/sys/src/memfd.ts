import { addressOf } from './libc.js';
import { checkedSyscall, SYS_fcntl } from './fcntl.js';

// memfd calls on ferry's own descriptors (not injected).
const SYS_memfd_create = 319;
const F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
export const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;

/** A new memfd named NAME (what /proc shows as /memfd:NAME). */
export function memfdCreate(name: string, flags: number): number {
  const cName = Buffer.from(`${name}\0`, 'utf8');
  return checkedSyscall(`memfd_create(${JSON.stringify(name)})`, SYS_memfd_create, Number(addressOf(cName)), flags);
}

/** The seals of a memfd (F_GET_SEALS): F_SEAL_SEAL alone for one made without MFD_ALLOW_SEALING. */
export function sealsOf(fd: number): number {
  return checkedSyscall('fcntl(F_GET_SEALS)', SYS_fcntl, fd, F_GET_SEALS);
}

export function addSeals(fd: number, seals: number): void {
  checkedSyscall(`fcntl(F_ADD_SEALS, 0x${seals.toString(16)})`, SYS_fcntl, fd, F_ADD_SEALS, seals);
}
