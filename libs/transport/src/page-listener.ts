import fs from 'node:fs/promises';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { FramePool } from './frame-pool.js';
import { readInto } from './read-into.js';
import { PAGE_FRAME_HEADER, PAGE_FRAME_MAX } from './page-stream.js';
import type { PageStreamHello } from './protocol.js';

/** What a page stream writes into: a checkpoint being received, found by id and token. */
export interface PageTarget {
  /**
   * Stores the bytes at OFFSET of the page store; resolves once they are fsynced. DATA is the
   * listener's, lent until `written` settles: it is reused for a later frame after that.
   */
  write(offset: number, data: Buffer): { written: Promise<void>; durable: Promise<void> };
  /** The stream broke before the checkpoint committed. */
  broken(why: string): void;
  /**
   * Takes the connection's descriptor (duplicated) after the hello, to receive and ack the frames
   * itself; resolves with why the stream ended. Undefined when it cannot: frames come to write().
   */
  receiveFrom?(socketFd: number): Promise<string> | undefined;
}

/** What a fetch's page stream sends: a committed checkpoint's pages file, whole. */
export interface PageSource {
  file: string;
  length: number;
}

export interface PageListener {
  readonly host: string;
  readonly port: number;
  close(): void;
}

const HELLO_MAX = 4096;
/** Frame bytes handed to the target and not yet written: past this the socket pauses until they are. */
const QUEUED_MAX = 16 << 20;

/**
 * The server's end of the page stream (see @ferry/transport page-stream.ts). One connection per
 * checkpoint; a connection that does not name an open checkpoint with its token is cut. The socket
 * reads straight into the frame's buffer (no copy; reused buffers, see FramePool), each read asking
 * for just what the current field still lacks, and each frame is handed to the target while the
 * socket reads on (awaiting each write before reading the next frame held the stream to a third of
 * the disk's rate); reading pauses while more than QUEUED_MAX bytes are unwritten, so a fast dumper
 * is still held back by TCP itself. A hello whose token is a fetch's (SOURCE_FOR) gets that
 * checkpoint's pages sent instead.
 */
export async function listenForPages(
  host: string,
  port: number,
  targetFor: (hello: PageStreamHello) => PageTarget | undefined,
  sourceFor: (hello: PageStreamHello) => PageSource | undefined = () => undefined,
): Promise<PageListener> {
  // A connection holds at most QUEUED_MAX of frames plus the one being read; kept for the next one.
  const pool = new FramePool(PAGE_FRAME_MAX, QUEUED_MAX / PAGE_FRAME_MAX + 2);
  const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
    try {
      serve(accepted, pool, targetFor, sourceFor);
    } catch {
      accepted.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return { host, port: address.port, close: () => server.close() };
}

function serve(accepted: net.Socket, pool: FramePool, targetFor: (hello: PageStreamHello) => PageTarget | undefined, sourceFor: (hello: PageStreamHello) => PageSource | undefined): void {
  let target: PageTarget | undefined;
  let over = false;
  /** Cuts the connection; a target is told why (once). */
  const fail = (why: string) => {
    if (!over) target?.broken(why);
    over = true;
    socket.destroy();
  };

  let queued = 0;
  const frameDone = (data: Buffer) => {
    queued -= data.length;
    pool.give(data);
    if (queued <= QUEUED_MAX && socket.isPaused() && !over) socket.resume();
  };
  const toTarget = (offset: number, data: Buffer) => {
    const end = offset + data.length;
    const { written, durable } = target!.write(offset, data);
    queued += data.length;
    if (queued > QUEUED_MAX) socket.pause();
    written.then(() => frameDone(data), (e: Error) => fail(`its page stream: ${e.message}`));
    durable.then(() => {
      const ack = Buffer.allocUnsafe(8);
      ack.writeBigUInt64LE(BigInt(end));
      socket.write(ack);
    }, () => socket.destroy());
  };

  // What the bytes coming in are for: the hello's length, the hello, a frame header, a frame body.
  type Want = 'helloLength' | 'hello' | 'header' | 'body';
  let want: Want = 'helloLength';
  let into: Buffer = Buffer.allocUnsafe(4);
  let have = 0;
  let frameOffset = 0;
  const header = Buffer.allocUnsafe(PAGE_FRAME_HEADER);
  /** INTO is full: takes it, and says what to read next. */
  const complete = (): void => {
    switch (want) {
      case 'helloLength': {
        const length = into.readUInt32LE(0);
        if (length === 0 || length > HELLO_MAX) throw new Error('bad hello');
        return expect('hello', Buffer.allocUnsafe(length));
      }
      case 'hello': {
        const hello = JSON.parse(into.toString('utf8')) as PageStreamHello;
        const source = sourceFor(hello);
        if (source) {
          over = true;
          void send(socket, source).catch(() => socket.destroy());
          return;
        }
        target = targetFor(hello);
        if (!target) throw new Error('no such checkpoint');
        // Handed over, the socket reads nothing more here: its frames go to the target itself.
        if (handOver(socket, target, fail)) return;
        return expect('header', header);
      }
      case 'header': {
        frameOffset = Number(header.readBigUInt64LE(0));
        const length = header.readUInt32LE(8);
        if (length === 0 || length > PAGE_FRAME_MAX) throw new Error(`a page frame of ${length} bytes`);
        return expect('body', pool.take(length));
      }
      case 'body':
        toTarget(frameOffset, into);
        return expect('header', header);
    }
  };
  const expect = (next: Want, buffer: Buffer) => {
    want = next;
    into = buffer;
    have = 0;
  };
  // Once over (a fetch being sent, or cut), whatever still comes is read into this and dropped.
  const ignored = Buffer.allocUnsafe(PAGE_FRAME_HEADER);
  const took = (n: number) => {
    if (over) return;
    have += n;
    try {
      if (have === into.length) complete();
    } catch (e) {
      if (target) fail(`its page stream: ${(e as Error).message}`);
      else {
        over = true;
        socket.destroy();
      }
    }
  };
  const socket = readInto(accepted, () => (over ? ignored : into.subarray(have)), took);
  socket.on('error', () => {});
  socket.on('close', () => fail('its page stream closed before the commit'));
}

/** Gives the socket's reading to TARGET if it takes it; FAIL is told why its stream ended. */
function handOver(socket: net.Socket, target: PageTarget, fail: (why: string) => void): boolean {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (!target.receiveFrom || fd === undefined || fd < 0) return false;
  // Stopped before the target starts reading: libuv must not take a byte of the frames.
  socket.pause();
  const done = target.receiveFrom(fd);
  if (!done) {
    socket.resume();
    return false;
  }
  void done.then(fail);
  return true;
}

/** Sends SOURCE and closes; a failure destroys the socket, which the fetcher sees as a short stream. */
async function send(socket: net.Socket, source: PageSource): Promise<void> {
  const fh = await fs.open(source.file, 'r');
  try {
    if (source.length === 0) socket.end();
    else await pipeline(fh.createReadStream({ start: 0, end: source.length - 1, highWaterMark: 4 << 20, autoClose: false }), socket);
  } finally {
    await fh.close();
  }
}
