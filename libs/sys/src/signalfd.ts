import { addressOf } from './libc.js';
import { checkedSyscall, O_CLOEXEC } from './fcntl.js';

// signalfd calls on ferry's own descriptors (not injected).
const SYS_signalfd4 = 289;

/**
 * A new signalfd reading the signals of MASK (bit N-1 for signal N). It reads the signals of
 * whichever task reads it, so one made in ferry serves the restored task.
 */
export function createSignalFd(mask: bigint, flags = O_CLOEXEC): number {
  const set = Buffer.alloc(8);
  set.writeBigUInt64LE(mask);
  return checkedSyscall('signalfd4', SYS_signalfd4, -1, Number(addressOf(set)), 8, flags);
}
