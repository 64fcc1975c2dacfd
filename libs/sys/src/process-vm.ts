import { addressOf, syscallAsync } from './libc.js';
import { SYS } from './syscalls.js';

/**
 * process_vm_readv of LENGTH bytes at ADDR in PID into INTO, on a libuv thread. Resolves with the
 * bytes read: fewer than asked (0 included) where a page cannot be read this way, which the
 * caller reads another way.
 */
export async function readOtherProcess(pid: number, addr: bigint, length: number, into: Buffer): Promise<number> {
  // Two struct iovec {void *base; size_t len}: ours, then the task's. Both buffers are held here
  // until the call is over.
  const iovs = Buffer.alloc(32);
  iovs.writeBigUInt64LE(addressOf(into), 0);
  iovs.writeBigUInt64LE(BigInt(length), 8);
  iovs.writeBigUInt64LE(addr, 16);
  iovs.writeBigUInt64LE(BigInt(length), 24);
  const local = addressOf(iovs);
  const read = await syscallAsync(SYS.process_vm_readv, pid, local, 1, local + 16n, 1, 0).catch(() => 0);
  void iovs;
  void into;
  return Math.max(0, read);
}
