/**
 * Reused frame buffers for the page stream's receiving end. A fresh 1 MiB Buffer per frame is not
 * pooled by Node: every frame was new memory, page-faulted in and later unmapped, which on a VM
 * where first touch is slow cost more than the copy itself. Buffers come back once their frame is
 * written, so a connection cycles through a few dozen warm ones.
 */
export class FramePool {
  private readonly free: Buffer[] = [];

  /** KEEP: how many idle buffers stay around for the next frames (and connections). */
  constructor(private readonly size: number, private readonly keep: number) {}

  take(length: number): Buffer {
    if (length > this.size) throw new Error(`a frame of ${length} bytes is larger than the pool's ${this.size}`);
    return (this.free.pop() ?? Buffer.allocUnsafeSlow(this.size)).subarray(0, length);
  }

  /** BUF (from take) is not used by anyone any more. */
  give(buf: Buffer): void {
    if (this.free.length >= this.keep) return;
    this.free.push(Buffer.from(buf.buffer, buf.byteOffset, this.size));
  }
}
