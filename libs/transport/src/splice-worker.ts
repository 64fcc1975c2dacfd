import { parentPort } from 'node:worker_threads';
import {
  addressOf, closeRaw, EAGAIN, EINTR, errnoName, fdatasyncRaw, ftruncateRaw, pollOne, POLLIN, POLLOUT, readRaw,
  spliceRaw, SPLICE_F_MORE, SPLICE_F_MOVE, SPLICE_F_NONBLOCK, writeRaw,
} from '@ferry/sys';
import { PAGE_ACK_BYTES, PAGE_FRAME_HEADER, PAGE_FRAME_MAX } from './page-stream.js';
import type { SpliceJob, SpliceReport } from './splice-receive.js';

// The receive loop of a page stream spliced into a file (see splice-receive.ts). It blocks in
// poll(2), which is why it has a thread of its own.

/** How often a wait looks at the stop flag: the bound on how long a stop takes. */
const POLL_MS = 100;
/** Unsynced bytes past which a synced stream fsyncs even though more is coming. */
const SYNC_GROUP = 8 << 20;

let job: SpliceJob;
let stop: Int32Array;
let written: BigInt64Array;
const report = (r: SpliceReport) => parentPort!.postMessage(r);

class Ended extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

const pollScratch = Buffer.alloc(8);
const pollAddress = Number(addressOf(pollScratch));
const header = Buffer.alloc(PAGE_FRAME_HEADER);
const headerAddress = Number(addressOf(header));
const ack = Buffer.alloc(PAGE_ACK_BYTES);
const ackAddress = Number(addressOf(ack));
const fileOffset = Buffer.alloc(8);
const fileOffsetAddress = Number(addressOf(fileOffset));

/** Waits until the socket is ready for EVENTS; true, or false when it is not yet (NOW_ONLY) or we are told to stop. */
function ready(events: number, nowOnly = false): boolean {
  for (;;) {
    if (Atomics.load(stop, 0)) throw new Ended('the page stream was stopped');
    const r = pollOne(job.socket, events, nowOnly ? 0 : POLL_MS, pollScratch, pollAddress);
    if (r > 0) return true;
    if (r < 0 && r !== -EINTR) throw new Error(`poll: ${errnoName(-r)}`);
    if (nowOnly) return false;
  }
}

/** The call's result, after waiting out EAGAIN and retrying EINTR on the socket. */
function onSocket(events: number, call: () => number, what: string): number {
  for (;;) {
    const r = call();
    if (r >= 0) return r;
    if (r === -EAGAIN) ready(events);
    else if (r !== -EINTR) throw new Error(`${what}: ${errnoName(-r)}`);
  }
}

/** Reads the next header; false at a clean end (EOF before its first byte). */
function readHeader(): boolean {
  for (let have = 0; have < PAGE_FRAME_HEADER; ) {
    const n = onSocket(POLLIN, () => readRaw(job.socket, headerAddress + have, PAGE_FRAME_HEADER - have), 'read');
    if (n === 0) {
      if (have === 0) return false;
      throw new Ended('its page stream closed in a frame header');
    }
    have += n;
  }
  return true;
}

/** Moves LENGTH bytes from the socket into the file at END, through the pipe; partial bytes on a break are cut off again. */
function spliceFrame(end: number, length: number): void {
  fileOffset.writeBigInt64LE(BigInt(end));
  let moved = 0;
  try {
    while (moved < length) {
      const inPipe = onSocket(POLLIN, () => spliceRaw(job.socket, 0, job.pipeWrite, 0, Math.min(length - moved, job.pipeSize), SPLICE_F_MOVE | SPLICE_F_MORE | SPLICE_F_NONBLOCK), 'splice from the socket');
      if (inPipe === 0) throw new Ended('its page stream closed before the commit');
      for (let left = inPipe; left > 0; ) {
        const n = spliceRaw(job.pipeRead, 0, job.file, fileOffsetAddress, left, SPLICE_F_MOVE);
        if (n === -EINTR) continue;
        if (n <= 0) throw new Error(`splice into the page file: ${n === 0 ? 'nothing written' : errnoName(-n)}`);
        left -= n;
      }
      moved += inPipe;
    }
  } catch (e) {
    if (moved > 0) ftruncateRaw(job.file, end);
    throw e;
  }
}

function sendAck(end: number): void {
  ack.writeBigUInt64LE(BigInt(end));
  for (let sent = 0; sent < PAGE_ACK_BYTES; ) sent += onSocket(POLLOUT, () => writeRaw(job.socket, ackAddress + sent, PAGE_ACK_BYTES - sent), 'write of an ack');
}

function run(): SpliceReport {
  let end = job.end;
  let acked = end;
  const durable = () => {
    if (acked === end) return;
    if (job.sync) {
      const r = fdatasyncRaw(job.file);
      if (r < 0) throw new Error(`fdatasync: ${errnoName(-r)}`);
    }
    sendAck(end);
    acked = end;
  };
  try {
    for (;;) {
      // Synced acks are grouped: one fsync for whatever came while the socket had more to read.
      if (job.sync && (end - acked >= SYNC_GROUP || !ready(POLLIN, true))) durable();
      if (!readHeader()) return { end, why: 'its page stream closed before the commit' };
      const offset = Number(header.readBigUInt64LE(0));
      const length = header.readUInt32LE(8);
      if (length === 0 || length > PAGE_FRAME_MAX) throw new Ended(`its page stream: a page frame of ${length} bytes`);
      if (offset !== end) throw new Ended(`its page stream: pages at byte ${offset}, expected byte ${end}: a frame was lost`);
      spliceFrame(end, length);
      end += length;
      // Read by the owner when it wants it: a message per frame woke its thread 2000 times a 2 GiB stream.
      Atomics.store(written, 0, BigInt(end));
      if (!job.sync) durable();
    }
  } catch (e) {
    return { end, why: e instanceof Ended ? e.why : `its page stream: ${(e as Error).message}` };
  }
}

// Started ahead of its stream: the job comes once the stream does, and the worker ends after it.
parentPort!.once('message', (j: SpliceJob) => {
  job = j;
  stop = new Int32Array(job.stop);
  written = new BigInt64Array(job.written);
  const result = run();
  closeRaw(job.socket);
  closeRaw(job.pipeRead);
  closeRaw(job.pipeWrite);
  report(result);
});
