import { checkedSyscall } from './fcntl.js';

const SYS_fallocate = 285;
const FALLOC_FL_KEEP_SIZE = 1;
const FALLOC_FL_PUNCH_HOLE = 2;

/** Frees the file's blocks in [offset, offset + length): they read back as zeros, the size stays. */
export function punchHole(fd: number, offset: number, length: number): void {
  checkedSyscall(`fallocate(PUNCH_HOLE) of ${length} bytes at ${offset}`, SYS_fallocate, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}
