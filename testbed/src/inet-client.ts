// Clients outside the dumped tree for the inet socket tests: a TCP line client that records
// every sign of a broken connection (EOF, reset, error) and a UDP socket on a free port.
import dgram from 'node:dgram';
import net from 'node:net';

export class LineClient {
  /** 'end', 'close', 'error: ...' as they happened: a connection carried unbroken has none. */
  readonly events: string[] = [];
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      this.waiter?.();
    });
    socket.on('end', () => this.note('end'));
    socket.on('close', () => this.note('close'));
    socket.on('error', (e) => this.note(`error: ${e.message}`));
  }

  /** LOCAL_ADDRESS: the address the connection comes from (one the server's host reaches back). */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host, localAddress }, () => {
        s.off('error', reject);
        resolve(new LineClient(s));
      });
      s.once('error', reject);
    });
  }

  private note(event: string): void {
    this.events.push(event);
    this.waiter?.();
  }

  /** The local port: the connection's other end. */
  get port(): number {
    return this.socket.localPort!;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Stops reading: what the server sends stays in the kernel's queues, both ends'. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Waits until READY holds of what came; fails on a broken connection or after TIMEOUT_MS. */
  private async waitFor(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.events.length > 0) throw new Error(`connection broken (${this.events.join(', ')}) with ${this.buffered.length} bytes come, waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what} did not come within ${timeoutMs} ms (${this.buffered.length} bytes came)`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => { clearTimeout(timer); resolve(); };
      });
      this.waiter = null;
    }
  }

  private take(count: number): Buffer {
    const out = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return out;
  }

  /** The next COUNT bytes. */
  async bytes(count: number, timeoutMs = 10_000): Promise<Buffer> {
    await this.waitFor(() => this.buffered.length >= count, `${count} bytes`, timeoutMs);
    return this.take(count);
  }

  /** The next line, without its newline. */
  async line(timeoutMs = 10_000): Promise<string> {
    await this.waitFor(() => this.buffered.includes(10), 'a line', timeoutMs);
    return this.take(this.buffered.indexOf(10) + 1).subarray(0, -1).toString();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A UDP socket on 127.0.0.1 and a free port, with the datagrams it got in order. */
export class DatagramPeer {
  private readonly got: string[] = [];
  private waiter: (() => void) | null = null;

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (m) => {
      this.got.push(m.toString());
      this.waiter?.();
    });
  }

  static async open(): Promise<DatagramPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new DatagramPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(text: string, port: number): void {
    this.socket.send(text, port, '127.0.0.1');
  }

  async next(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.got.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no datagram within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => { clearTimeout(timer); resolve(); };
      });
      this.waiter = null;
    }
    return this.got.shift()!;
  }

  close(): void {
    this.socket.close();
  }
}
