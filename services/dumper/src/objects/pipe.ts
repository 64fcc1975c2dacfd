import fs from 'node:fs';
import { PIPE_QUEUED_MAX, type Pipe } from '@ferry/proto';
import {
  makePipe, pipeSize, setPipeSize, queuedBytes, teePipe, O_ACCMODE, O_NONBLOCK, O_DIRECT, O_LARGEFILE, O_CLOEXEC, type FdInfo,
} from '@ferry/sys';
import type { DescribeContext, FileDescriber, FileObject } from './file-kinds.js';
import { pipeHolderOutside, treeHoldsBothEnds } from './pipe-holders.js';

const ANONYMOUS_PIPE = /^pipe:\[(\d+)\]$/;
const KEPT_FLAGS = O_ACCMODE | O_NONBLOCK | O_DIRECT;

type Identity = { pipeId: bigint; fifoPath: string };

/** Which pipe the descriptor is on, if it is one: pipe:[INODE], or a path that is a FIFO. */
function identify(pid: number, info: FdInfo): Identity | string | null {
  const anonymous = ANONYMOUS_PIPE.exec(info.target);
  if (anonymous) return { pipeId: BigInt(anonymous[1]!), fifoPath: '' };
  if (!info.target.startsWith('/')) return null;
  const st = fs.statSync(`/proc/${pid}/fd/${info.fd}`, { bigint: true });
  if (!st.isFIFO()) return null;
  if (info.target.endsWith(' (deleted)')) return `${info.target} (a deleted FIFO)`;
  return { pipeId: st.ino, fifoPath: info.target };
}

/**
 * A pipe or FIFO end. The pipe's first end in the dump also carries its capacity and a copy of
 * the bytes queued in it. An anonymous pipe that a process outside the tree also holds cannot
 * come back whole: it is left out, as CRIU does, with its queued bytes, and the restore must be
 * handed a pipe for it (--inherit-fd fd[N]:pipe:[INODE]).
 */
export const describePipe: FileDescriber = (pid, info, id, ctx) => {
  const pipe = identify(pid, info);
  if (pipe === null || typeof pipe === 'string') return pipe;
  const what = `${info.target} of pid ${pid}`;
  const flags = info.flags & ~O_CLOEXEC & ~O_LARGEFILE;
  if (flags & ~KEPT_FLAGS) return `${what} (open with flags 0o${flags.toString(8)}: only O_NONBLOCK and O_DIRECT are supported on pipes)`;
  const buffer = alreadyDumped(ctx, pipe) || !ctx.contents ? { bufferSize: pipeSizeOf(pid, info), queued: Buffer.alloc(0) } : copyBuffer(pid, info, what);
  if (typeof buffer === 'string') return buffer;
  const holder = pipe.fifoPath === '' ? pipeHolderOutside(ctx, info.target) : undefined;
  if (holder !== undefined && treeHoldsBothEnds(ctx, info.target)) {
    return `${what}, both of whose ends the tree holds while pid ${holder} outside it holds it too (it can be neither left out nor restored whole)`;
  }
  if (holder !== undefined) {
    return { kind: 'external', id, payload: { id, name: info.target, flags: flags & O_ACCMODE, queued: buffer.queued } } satisfies FileObject;
  }
  const payload: Pipe = { id, ...pipe, flags, ...buffer };
  return { kind: 'pipe', id, payload } satisfies FileObject;
};

function alreadyDumped(ctx: DescribeContext, pipe: Identity): boolean {
  const name = pipe.fifoPath === '' ? `pipe:[${pipe.pipeId}]` : '';
  return ctx.seen.some(({ file }) => (file.kind === 'pipe' && file.payload.pipeId === pipe.pipeId && file.payload.fifoPath === pipe.fifoPath)
    || (file.kind === 'external' && file.payload.name === name));
}

/**
 * A reader of our own on the task's pipe, through /proc: tee needs a read end, and the task's
 * descriptor may be the write end. Non-blocking, so a FIFO without writers opens at once.
 */
function openReader(pid: number, info: FdInfo): number {
  return fs.openSync(`/proc/${pid}/fd/${info.fd}`, O_NONBLOCK | O_CLOEXEC);
}

function pipeSizeOf(pid: number, info: FdInfo): number {
  const reader = openReader(pid, info);
  try {
    return pipeSize(reader);
  } finally {
    fs.closeSync(reader);
  }
}

/** The pipe's capacity and its queued bytes, copied with tee so the pipe keeps every one of them. */
function copyBuffer(pid: number, info: FdInfo, what: string): { bufferSize: number; queued: Buffer } | string {
  const reader = openReader(pid, info);
  try {
    const bufferSize = pipeSize(reader);
    const length = queuedBytes(reader);
    if (length > PIPE_QUEUED_MAX) return `${what} (${length} bytes queued, more than the ${PIPE_QUEUED_MAX} a checkpoint keeps)`;
    return { bufferSize, queued: length === 0 ? Buffer.alloc(0) : teeQueued(reader, bufferSize, length, what) };
  } finally {
    fs.closeSync(reader);
  }
}

function teeQueued(reader: number, bufferSize: number, length: number, what: string): Buffer {
  const [copyOut, copyIn] = makePipe(O_CLOEXEC | O_NONBLOCK);
  try {
    // tee takes the pipe's buffers as they are, one slot each: ours needs as many slots as theirs.
    try {
      if (pipeSize(copyIn) < bufferSize) setPipeSize(copyIn, bufferSize);
    } catch {
      // Above fs.pipe-max-size without CAP_SYS_RESOURCE: the bytes may still fit, tee tells.
    }
    const copied = teePipe(reader, copyIn, length);
    if (copied !== length) throw new Error(`${what}: tee copied ${copied} of the ${length} bytes queued (the pipe is larger than ferry may make one)`);
    const queued = Buffer.alloc(length);
    for (let done = 0; done < length; ) {
      const n = fs.readSync(copyOut, queued, done, length - done, null);
      if (n <= 0) throw new Error(`${what}: the copy of its queued bytes ended after ${done} of ${length}`);
      done += n;
    }
    return queued;
  } finally {
    fs.closeSync(copyOut);
    fs.closeSync(copyIn);
  }
}
