import { addressOf, native } from './libc.js';

const SYS_process_vm_readv = 310;

/**
 * process_vm_readv of LENGTH bytes at ADDR in PID into INTO, on a libuv thread. Resolves with the
 * bytes read: fewer than asked (0 included) where a page cannot be read this way, which the
 * caller reads another way.
 */
export function readOtherProcess(pid: number, addr: bigint, length: number, into: Buffer): Promise<number> {
  // Two struct iovec {void *base; size_t len}: ours, then the task's.
  const iovs = Buffer.alloc(32);
  iovs.writeBigUInt64LE(addressOf(into), 0);
  iovs.writeBigUInt64LE(BigInt(length), 8);
  iovs.writeBigUInt64LE(addr, 16);
  iovs.writeBigUInt64LE(BigInt(length), 24);
  const local = addressOf(iovs);
  return new Promise((resolve) => {
    native.syscall6.async(SYS_process_vm_readv, pid, local, 1, local + 16n, 1, 0, (err: unknown, r: number | bigint) => {
      // The buffers must live until the call is over.
      void iovs;
      void into;
      resolve(err ? 0 : Math.max(0, Number(r)));
    });
  });
}
