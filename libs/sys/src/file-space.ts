import { checkedSyscall } from './fcntl.js';
import { syscallAsync } from './libc.js';
import { SYS } from './syscalls.js';

const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

/** Frees the file's blocks in [offset, offset + length): they read back as zeros, the size stays. */
export function punchHole(fd: number, offset: number, length: number): void {
  checkedSyscall(`fallocate(PUNCH_HOLE) of ${length} bytes at ${offset}`, SYS.fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}

/**
 * Gives the file its blocks for [0, length) now, its size unchanged, on a libuv thread (gigabytes
 * take seconds): writes into them later do not allocate. tmpfs reserves the pages without writing
 * them, so the memory itself is still touched by the first write (see makeRoom in room.ts).
 */
export async function preallocateAsync(fd: number, length: number): Promise<void> {
  if ((await syscallAsync(SYS.fallocate, fd, FALLOC_FL_KEEP_SIZE, 0, length)) < 0) throw new Error(`fallocate of ${length} bytes failed`);
}
