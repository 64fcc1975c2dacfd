import { checkedSyscall } from './fcntl.js';
import { native } from './libc.js';

const SYS_fallocate = 285;
const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

/** Frees the file's blocks in [offset, offset + length): they read back as zeros, the size stays. */
export function punchHole(fd: number, offset: number, length: number): void {
  checkedSyscall(`fallocate(PUNCH_HOLE) of ${length} bytes at ${offset}`, SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}

/**
 * Gives the file its blocks for [0, length) now, its size unchanged: writes into them later do not
 * allocate. tmpfs reserves the pages without writing them, so the memory itself is still touched
 * by the first write (see makeRoom in room.ts for why that matters in a VM).
 */
export function preallocate(fd: number, length: number): void {
  checkedSyscall(`fallocate of ${length} bytes`, SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 0, length);
}

/** preallocate on a libuv thread: a server making room for gigabytes keeps answering meanwhile. */
export function preallocateAsync(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => {
    native.syscall6.async(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 0, length, 0, 0, (err: unknown, r: number | bigint) => {
      if (err) return reject(err);
      // errno belongs to the thread that made the call: only the failure is known here.
      if (Number(r) < 0) return reject(new Error(`fallocate of ${length} bytes failed`));
      resolve();
    });
  });
}
