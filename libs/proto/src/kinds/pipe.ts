import { PAGE_SIZE } from '../limits.js';
import { checkAbsolutePath, checkNotEmpty, fail } from './checks.js';

/** One open file description of a pipe or FIFO; records with one pipe id are one pipe. Object id: "file:PID:FD". */
export interface Pipe {
  id: string;
  /** The pipe's inode at dump. */
  pipeId: bigint;
  /** O_RDONLY, O_WRONLY or O_RDWR, with O_NONBLOCK and O_DIRECT. */
  flags: number;
  /** FIFOs: where the FIFO lives; empty for an anonymous pipe. */
  fifoPath: string;
  /** F_GETPIPE_SZ, the same in every record of the pipe. */
  bufferSize: number;
  /** Bytes queued at dump, oldest first; only in the pipe's first record. */
  queued: Buffer;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    pipe: Pipe;
  }
}

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
