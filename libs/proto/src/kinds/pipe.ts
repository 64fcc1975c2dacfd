import type { Pipe } from '../generated/messages.js';
import { PAGE_SIZE } from '../limits.js';
import { checkAbsolutePath, checkNotEmpty, fail } from './checks.js';

const PIPE_FLAGS = { O_ACCMODE: 0o3, O_RDWR: 0o2, O_NONBLOCK: 0o4000, O_DIRECT: 0o40000 } as const;
const ALLOWED_FLAGS = PIPE_FLAGS.O_ACCMODE | PIPE_FLAGS.O_NONBLOCK | PIPE_FLAGS.O_DIRECT;
/** round_pipe_size refuses more than 2^31 bytes. */
const PIPE_SIZE_MAX = 2 ** 31;
/** Queued bytes ride in the record: keep records far below the frame limit. */
export const PIPE_QUEUED_MAX = 16 << 20;

/** How --inherit-fd and /proc/PID/fd name the pipe. */
export function pipeName(p: Pipe): string {
  return p.fifoPath !== '' ? p.fifoPath : `pipe:[${p.pipeId}]`;
}

export function validatePipe(p: Pipe): void {
  checkNotEmpty(p.id, 'id');
  if (p.pipeId === 0n) fail('pipeId is 0');
  if (p.flags & ~ALLOWED_FLAGS) fail(`flags 0o${p.flags.toString(8)} have bits beyond the access mode, O_NONBLOCK and O_DIRECT`);
  if ((p.flags & PIPE_FLAGS.O_ACCMODE) === PIPE_FLAGS.O_ACCMODE) fail('flags have an access mode of 3');
  if (p.fifoPath !== '') checkAbsolutePath(p.fifoPath, 'fifoPath');
  const size = p.bufferSize;
  if (size < PAGE_SIZE || size > PIPE_SIZE_MAX || (size & (size - 1)) !== 0) fail(`bufferSize ${size} is not a power of two from ${PAGE_SIZE} to ${PIPE_SIZE_MAX}`);
  if (p.queued.length > Math.min(size, PIPE_QUEUED_MAX)) fail(`${p.queued.length} bytes queued do not fit a ${size}-byte pipe (or exceed ${PIPE_QUEUED_MAX})`);
}
