import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { REQUEST_TIMEOUT_MS, type PageStreamHello, type PageStreamOffer } from './protocol.js';

// The page stream: bulk pages over plain TCP, negotiated through NATS (the open reply names the
// address and a one-time token), because NATS moves ~0.4 GB/s here and TCP 1-2 GB/s. The pages
// records, with their crc32, still go over NATS in the record chain, so the stream is verified
// end to end whatever carried the bytes.
//
// Client to server: a hello frame [u32 LE length][JSON PageStreamHello], then page frames
// [u64 LE offset in the page store][u32 LE length][bytes]. Server to client: acks, [u64 LE end],
// each saying that every byte before `end` is fsynced.
//
// Fetches take a committed checkpoint's pages the other way (NATS request/reply moved them at
// 0.2-0.4 GB/s, half a migration's downtime): the fetch reply offers an address and a one-time
// token, the client sends the same hello, and the server sends the whole pages file and closes.
// The restore verifies every page's crc from the records, so the stream only has to be whole.

export const PAGE_FRAME_HEADER = 12;
export const PAGE_ACK_BYTES = 8;
/** A page frame carries at most this much, so the server buffers little. */
export const PAGE_FRAME_MAX = 1 << 20;
/** Bytes sent and not yet acked before the writer waits: a few fsync groups' worth. */
const UNACKED_MAX = 32 << 20;

export function pageFrameHeader(offset: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(PAGE_FRAME_HEADER);
  h.writeBigUInt64LE(BigInt(offset), 0);
  h.writeUInt32LE(length, 8);
  return h;
}

/** The dumper's end of a page stream. Every failure (the server gone, a refusal) is one Error, kept. */
export class PageStreamWriter {
  private sent = 0;
  private acked = 0;
  private failure?: Error;
  private waiters: (() => void)[] = [];
  private ackBuffer = Buffer.alloc(0);

  private constructor(private readonly socket: net.Socket, peer: string) {
    socket.on('data', (d: Buffer) => this.onAck(d));
    socket.on('error', (e) => this.fail(new Error(`${peer} is gone (its page stream broke: ${e.message})`)));
    socket.on('close', () => this.fail(new Error(`${peer} is gone (it closed the page stream)`)));
  }

  /** PEER names the receiver in errors. */
  static async connect(offer: PageStreamOffer, hello: PageStreamHello, peer = 'the image server'): Promise<PageStreamWriter> {
    const socket = await openPageStream(offer, hello);
    socket.setNoDelay(true);
    return new PageStreamWriter(socket, peer);
  }

  /**
   * Sends DATA as the page store's bytes at OFFSET; waits while too much is unacked. `data` is not
   * copied: the socket holds it until the kernel has taken it, and only then does this resolve (the
   * caller reuses it after that; a copy of every run cost a fifth of the stream's time).
   */
  async write(offset: number, data: Buffer): Promise<void> {
    let last: { out: boolean } | undefined;
    for (let from = 0; from < data.length; from += PAGE_FRAME_MAX) {
      while (this.sent - this.acked >= UNACKED_MAX && !this.failure) await this.change();
      if (this.failure) throw this.failure;
      const piece = data.subarray(from, Math.min(data.length, from + PAGE_FRAME_MAX));
      const written = { out: false };
      this.socket.cork();
      this.socket.write(pageFrameHeader(offset + from, piece.length));
      this.socket.write(piece, () => {
        written.out = true;
        this.wake();
      });
      this.socket.uncork();
      last = written;
      this.sent = offset + from + piece.length;
    }
    // Write callbacks come in order: the last piece out means all of DATA is.
    while (last && !last.out && !this.failure) await this.change();
    if (last && !last.out) throw this.failure;
  }

  /** Resolves once the server has fsynced everything sent. */
  async allAcked(): Promise<void> {
    while (this.acked < this.sent && !this.failure) await this.change();
    if (this.failure) throw this.failure;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  close(): void {
    this.failure ??= new Error('the page stream is closed');
    this.socket.destroy();
    this.wake();
  }

  private onAck(d: Buffer): void {
    this.ackBuffer = Buffer.concat([this.ackBuffer, d]);
    while (this.ackBuffer.length >= PAGE_ACK_BYTES) {
      this.acked = Math.max(this.acked, Number(this.ackBuffer.readBigUInt64LE(0)));
      this.ackBuffer = this.ackBuffer.subarray(PAGE_ACK_BYTES);
    }
    this.wake();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** A fetch gives up on an offered address after this long and reads over NATS instead. */
export const FETCH_CONNECT_TIMEOUT_MS = 2000;
/**
 * Connect failures that say the offered address is not reachable from here (the server listens on
 * its own side's loopback, and we are another host): the fetch falls back to NATS.
 */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** Connects to OFFER and sends HELLO; gives up after TIMEOUT_MS when given (error code ETIMEDOUT). */
async function openPageStream(offer: PageStreamOffer, hello: PageStreamHello, timeoutMs?: number): Promise<net.Socket> {
  const socket = net.connect(offer.port, offer.host);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
      if (timeoutMs) setTimeout(() => reject(Object.assign(new Error(`no connection within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })), timeoutMs).unref();
    });
  } catch (e) {
    socket.destroy();
    throw Object.assign(new Error(`cannot open the page stream to ${offer.host}:${offer.port}: ${(e as Error).message}`), { code: (e as NodeJS.ErrnoException).code });
  }
  const body = Buffer.from(JSON.stringify(hello));
  const length = Buffer.allocUnsafe(4);
  length.writeUInt32LE(body.length);
  socket.write(Buffer.concat([length, body]));
  return socket;
}

/**
 * Receives a committed checkpoint's LENGTH bytes of pages into FILE (created). False, with
 * nothing written, when the offered address cannot be reached from here: read over NATS then.
 * A stream that breaks or ends early is an Error saying how much came.
 */
export async function receivePages(offer: PageStreamOffer, hello: PageStreamHello, file: string, length: number): Promise<boolean> {
  let socket: net.Socket;
  try {
    socket = await openPageStream(offer, hello, FETCH_CONNECT_TIMEOUT_MS);
  } catch (e) {
    if (UNREACHABLE.has((e as NodeJS.ErrnoException).code ?? '')) return false;
    throw e;
  }
  socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy(new Error(`nothing came for ${REQUEST_TIMEOUT_MS / 1000} s`)));
  const out = createWriteStream(file, { flags: 'wx', highWaterMark: 4 << 20 });
  const came = () => `the page stream from ${offer.host}:${offer.port} ended after ${out.bytesWritten} of ${length} bytes of pages`;
  try {
    await pipeline(socket, out);
  } catch (e) {
    throw new Error(`${came()} (${(e as Error).message})`);
  } finally {
    socket.destroy();
  }
  if (out.bytesWritten !== length) throw new Error(came());
  return true;
}
