import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { closeRaw, dupAtLeast, makePipe, pipeSize, setPipeSize } from '@ferry/sys';
import { PAGE_FRAME_MAX } from './page-stream.js';

// A page stream received straight into a file with splice(2): socket -> pipe (page references, no
// copy) -> file at the frame's offset (the one copy, into the page cache). The usual path copies
// every byte twice (socket -> frame buffer -> file) and, on the 2-core VM a migration shares with
// the dumper, those two copies were an eighth of all CPU. 2 GiB over loopback into /dev/shm went
// 1.5 -> 2.6 GB/s, the receiver's CPU 1.47 -> 0.69 s (the sender's unchanged). The socket leaves
// libuv for good: a worker thread polls, splices, and writes the acks; how far it got is a shared
// counter, read when wanted.

export interface SpliceJob {
  socket: number;
  file: number;
  /** Where the stream's next frame must start (the file's bytes so far). */
  end: number;
  sync: boolean;
  pipeRead: number;
  pipeWrite: number;
  pipeSize: number;
  /** Int32 flag: set, the worker gives up its socket at its next wait. */
  stop: SharedArrayBuffer;
  /** BigInt64: the end of the frames written, stored before their ack goes out. */
  written: SharedArrayBuffer;
}

/** How a stream ended (a clean end included): the end of the frames written, and why. */
export interface SpliceReport {
  end: number;
  why: string;
}

export interface SplicedStream {
  stop(): void;
  /** The end of the frames in the file: never behind an ack the sender has. */
  written(): number;
  /** Why the stream ended (a clean end included), once the worker let go of the socket. */
  done: Promise<string>;
}

/**
 * A worker made ready for one stream before it comes: starting one, with its bindings, takes
 * ~80 ms, which a stream opened while the tree is frozen would wait.
 */
export class SpliceReceiver {
  private readonly worker = new Worker(new URL('./splice-worker.js', import.meta.url));
  private failure?: Error;
  private used = false;

  constructor() {
    // An idle one does not keep the process alive.
    this.worker.unref();
    this.worker.on('error', (e) => (this.failure ??= e));
  }

  /**
   * Receives SOCKET_FD's frames into FILE_FD from END on (the socket duplicated: its owner must
   * not read it any more). Undefined, with nothing read, when it cannot: the worker failed, or
   * the pipe or descriptor cannot be had. Once only.
   */
  start(socketFd: number, fileFd: number, end: number, sync: boolean, onEnded: (end: number) => void): SplicedStream | undefined {
    if (this.used || this.failure) return undefined;
    let pipe: [number, number];
    try {
      pipe = makePipe();
    } catch {
      return undefined;
    }
    let socket: number;
    try {
      socket = dupAtLeast(socketFd, 3);
    } catch {
      pipe.forEach(closeRaw);
      return undefined;
    }
    this.used = true;
    const job: SpliceJob = { socket, file: fileFd, end, sync, pipeRead: pipe[0], pipeWrite: pipe[1], pipeSize: framePipe(pipe[1]), stop: new SharedArrayBuffer(4), written: new SharedArrayBuffer(8) };
    const written = new BigInt64Array(job.written);
    Atomics.store(written, 0, BigInt(end));
    const done = new Promise<string>((resolve) => {
      let ended = false;
      this.worker.on('message', (r: SpliceReport) => {
        ended = true;
        onEnded(r.end);
        resolve(r.why);
      });
      // A worker that never got to its loop has not closed its descriptors.
      this.worker.on('error', (e) => {
        if (ended) return;
        ended = true;
        [socket, ...pipe].forEach(closeRaw);
        resolve(`its page stream: ${e.message}`);
      });
    });
    this.worker.ref();
    this.worker.postMessage(job);
    return { stop: () => Atomics.store(new Int32Array(job.stop), 0, 1), written: () => Number(Atomics.load(written, 0)), done };
  }

  /** Ends the worker if it never got a stream. */
  dispose(): void {
    if (!this.used) void this.worker.terminate();
  }
}

/** The pipe made a frame big, else as big as the system allows: a smaller one only means more splices. */
function framePipe(fd: number): number {
  for (const size of [PAGE_FRAME_MAX, maxPipeSize()].filter((s) => s > 0)) {
    try {
      return setPipeSize(fd, Math.min(size, PAGE_FRAME_MAX));
    } catch {
      // Past fs.pipe-max-size, or the user's pipe pages are used up: try smaller, or keep the default.
    }
  }
  return pipeSize(fd);
}

function maxPipeSize(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/fs/pipe-max-size', 'utf8'));
  } catch {
    return 0;
  }
}
