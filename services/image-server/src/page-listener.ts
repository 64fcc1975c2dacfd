import fs from 'node:fs/promises';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { PAGE_FRAME_HEADER, PAGE_FRAME_MAX, type PageStreamHello } from '@ferry/transport';

/** What a page stream writes into: a checkpoint being received, found by id and token. */
export interface PageTarget {
  /** Stores the bytes at OFFSET of the page store; resolves once they are fsynced. */
  write(offset: number, data: Buffer): { written: Promise<void>; durable: Promise<void> };
  /** The stream broke before the checkpoint committed. */
  broken(why: string): void;
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

/**
 * The server's end of the page stream (see @ferry/transport page-stream.ts). One connection per
 * checkpoint; a connection that does not name an open checkpoint with its token is cut. Reading
 * pauses while a frame is being written, so a fast dumper is held back by TCP itself. A hello
 * whose token is a fetch's (SOURCE_FOR) gets that checkpoint's pages sent instead.
 */
export async function listenForPages(
  host: string,
  port: number,
  targetFor: (hello: PageStreamHello) => PageTarget | undefined,
  sourceFor: (hello: PageStreamHello) => PageSource | undefined = () => undefined,
): Promise<PageListener> {
  const server = net.createServer((socket) => void serve(socket, targetFor, sourceFor).catch(() => socket.destroy()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return { host, port: address.port, close: () => server.close() };
}

async function serve(socket: net.Socket, targetFor: (hello: PageStreamHello) => PageTarget | undefined, sourceFor: (hello: PageStreamHello) => PageSource | undefined): Promise<void> {
  const reader = new SocketReader(socket);
  const helloLength = (await reader.read(4)).readUInt32LE(0);
  if (helloLength > HELLO_MAX) throw new Error('bad hello');
  const hello = JSON.parse((await reader.read(helloLength)).toString('utf8')) as PageStreamHello;
  const source = sourceFor(hello);
  if (source) return send(socket, source);
  const target = targetFor(hello);
  if (!target) throw new Error('no such checkpoint');
  let finished = false;
  socket.on('close', () => finished || target.broken('its page stream closed before the commit'));
  try {
    for (;;) {
      const header = await reader.read(PAGE_FRAME_HEADER).catch(() => undefined);
      if (!header) return;
      const offset = Number(header.readBigUInt64LE(0));
      const length = header.readUInt32LE(8);
      if (length === 0 || length > PAGE_FRAME_MAX) throw new Error(`a page frame of ${length} bytes`);
      const end = offset + length;
      const { written, durable } = target.write(offset, await reader.read(length));
      await written;
      void durable.then(() => {
        const ack = Buffer.allocUnsafe(8);
        ack.writeBigUInt64LE(BigInt(end));
        socket.write(ack);
      }, () => socket.destroy());
    }
  } catch (e) {
    target.broken(`its page stream: ${(e as Error).message}`);
    socket.destroy();
  } finally {
    finished = true;
  }
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

/** Reads exact byte counts from a socket, pausing it when nobody is reading. */
class SocketReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
  private waiter?: () => void;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      if (this.length > 2 * PAGE_FRAME_MAX) socket.pause();
      this.waiter?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  async read(n: number): Promise<Buffer> {
    while (this.length < n) {
      if (this.ended) throw new Error('the page stream ended');
      this.socket.resume();
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }
}
