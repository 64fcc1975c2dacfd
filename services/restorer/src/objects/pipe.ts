import fs from 'node:fs';
import { pipeName, type Pipe } from '@ferry/proto';
import {
  makePipe, pipeSize, setPipeSize, queuedBytes, setStatusFlags, O_ACCMODE, O_NONBLOCK, O_DIRECT, O_CLOEXEC,
} from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { notInherited } from '../shared-context.js';

const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;

/** The ends of one pipe: anonymous pipes by inode, FIFOs by path and inode. */
function groupByPipe(pipes: Pipe[]): Map<string, Pipe[]> {
  const groups = new Map<string, Pipe[]>();
  for (const p of pipes) {
    const key = `${p.fifoPath}\0${p.pipeId}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return groups;
}

/** The pipe's buffer as the image has it; its ends must agree on it. */
function bufferOf(name: string, ends: Pipe[]): { bufferSize: number; queued: Buffer } {
  const sizes = new Set(ends.map((e) => e.bufferSize));
  if (sizes.size !== 1) throw new Error(`image: the ends of ${name} disagree on its buffer size (${[...sizes].join(', ')})`);
  const carriers = ends.filter((e) => e.queued.length > 0);
  if (carriers.length > 1) throw new Error(`image: ${carriers.length} ends of ${name} carry its queued bytes, at most one may`);
  return { bufferSize: ends[0]!.bufferSize, queued: carriers[0]?.queued ?? Buffer.alloc(0) };
}

/** Ferry's own way into the pipe: descriptors by access mode, taken by the first end that wants them. */
type Base = Map<number, number>;

function createAnonymous(): Base {
  // Non-blocking while ferry fills it; each end gets its own flags afterwards.
  const [reader, writer] = makePipe(O_CLOEXEC | O_NONBLOCK);
  return new Map([[O_RDONLY, reader], [O_WRONLY, writer]]);
}

/** O_RDWR opens a FIFO without waiting for a partner, and counts as both. */
function openFifo(path: string): Base {
  const missing = () => new Error(`FIFO ${path} is gone (a restored process had it open)`);
  try {
    if (!fs.statSync(path).isFIFO()) throw new Error(`${path} is no longer a FIFO`);
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? missing() : e;
  }
  const fd = fs.openSync(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (!fs.fstatSync(fd).isFIFO()) {
    fs.closeSync(fd);
    throw new Error(`${path} is no longer a FIFO`);
  }
  const waiting = queuedBytes(fd);
  if (waiting > 0) {
    fs.closeSync(fd);
    throw new Error(`FIFO ${path} already holds ${waiting} bytes: a process outside the restore has it open`);
  }
  return new Map([[O_RDWR, fd]]);
}

function fill(name: string, writer: number, bufferSize: number, queued: Buffer): void {
  if (pipeSize(writer) !== bufferSize) {
    try {
      setPipeSize(writer, bufferSize);
    } catch (e) {
      throw new Error(`${name}: cannot make its buffer ${bufferSize} bytes (${(e as Error).message}; above fs.pipe-max-size that takes CAP_SYS_RESOURCE)`);
    }
  }
  if (queued.length === 0) return;
  const written = fs.writeSync(writer, queued);
  if (written !== queued.length) throw new Error(`${name}: only ${written} of its ${queued.length} queued bytes fit back`);
}

/** One pipe and all its ends, each end an open file description of its own with its own flags. */
function openPipe(ends: Pipe[], opened: Map<string, number>): void {
  const name = pipeName(ends[0]!);
  const { bufferSize, queued } = bufferOf(name, ends);
  const base = ends[0]!.fifoPath === '' ? createAnonymous() : openFifo(ends[0]!.fifoPath);
  // Another description of the same pipe: what opening /proc/self/fd/N of a pipe gives.
  const source = `/proc/self/fd/${[...base.values()][0]}`;
  try {
    fill(name, base.get(O_WRONLY) ?? base.get(O_RDWR)!, bufferSize, queued);
    for (const end of ends) {
      const access = end.flags & O_ACCMODE;
      let fd = base.get(access);
      if (fd === undefined) fd = fs.openSync(source, access | O_NONBLOCK | O_CLOEXEC);
      else base.delete(access);
      opened.set(end.id, fd);
      setStatusFlags(fd, end.flags & (O_NONBLOCK | O_DIRECT));
    }
  } finally {
    // Ends no process had: a pipe whose readers (or writers) were all gone comes back so too.
    for (const fd of base.values()) fs.closeSync(fd);
  }
}

/** Every pipe and FIFO of the image, connected, with its buffer size and queued bytes (see fd.ts for the rest). */
function openPipes(pipes: Pipe[], opened: Map<string, number>): void {
  for (const ends of groupByPipe(pipes).values()) openPipe(ends, opened);
}

export const pipeKind: ObjectKind = {
  name: 'pipe',
  files: (image) => image.byKind('pipe').map((f) => ({ id: f.id, name: pipeName(f) })),
  check: (image) => ({ open: (ctx, opened) => openPipes(notInherited(ctx, image.byKind('pipe')), opened) }),
};
