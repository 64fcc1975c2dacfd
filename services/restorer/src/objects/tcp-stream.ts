import type { InetSocket } from '@ferry/proto';
import {
  connectStarted, sendBytes, selectTcpQueue, setTcpQueueSeq, setTcpRepair, setTcpRepairOptions, setTcpTimestamp, setTcpWindow,
  TCP_QUEUE, TCPI_OPT, type SockAddr,
} from '@ferry/sys';

/** Writes BYTES into the queue selected (repair mode puts them there as if sent or received). */
function fillQueue(fd: number, bytes: Uint8Array, what: string): void {
  let off = 0;
  // The kernel makes one linear buffer per call in repair mode: big chunks may not fit a slab.
  let chunk = Math.max(1, bytes.length);
  while (off < bytes.length) {
    const part = Buffer.from(bytes.buffer, bytes.byteOffset + off, Math.min(chunk, bytes.length - off));
    let sent = -1;
    try {
      sent = sendBytes(fd, part);
    } catch (e) {
      if (chunk <= 1024) throw new Error(`${what}: ${(e as Error).message}`);
    }
    if (sent <= 0) {
      if (chunk <= 1024) throw new Error(`${what}: the socket took none of the ${bytes.length - off} bytes left (of ${bytes.length})`);
      chunk >>= 1;
      continue;
    }
    off += sent;
  }
}

/**
 * Brings an established connection back on FD, a new socket of its family in repair mode, bound
 * to its local end: sequence numbers, the remote end (connect in repair mode makes no handshake),
 * the options the handshake agreed, the queues and the window. It stays in repair mode, so that
 * closing it (a failed restore) tells the peer nothing, until the restore goes through.
 */
export function repairTcpStream(fd: number, s: InetSocket, remote: SockAddr, what: string): void {
  const t = s.stream;
  const sent = t.sendQueue.length - t.unsent;
  selectTcpQueue(fd, TCP_QUEUE.RECEIVE);
  setTcpQueueSeq(fd, t.receiveSeq - t.receiveQueue.length);
  selectTcpQueue(fd, TCP_QUEUE.SEND);
  setTcpQueueSeq(fd, t.sendSeq - t.sendQueue.length);
  connectStarted(fd, remote);
  setTcpRepairOptions(fd, t);
  if (t.options & TCPI_OPT.TIMESTAMPS) setTcpTimestamp(fd, t.timestamp);
  selectTcpQueue(fd, TCP_QUEUE.RECEIVE);
  fillQueue(fd, t.receiveQueue, `${what}: its receive queue`);
  selectTcpQueue(fd, TCP_QUEUE.SEND);
  fillQueue(fd, t.sendQueue.subarray(0, sent), `${what}: its send queue`);
  selectTcpQueue(fd, TCP_QUEUE.NONE);
  setTcpWindow(fd, t);
  if (t.unsent > 0) {
    // What never went out is written as any program writes; the kernel sends it once the lock is lifted.
    setTcpRepair(fd, false);
    fillQueue(fd, t.sendQueue.subarray(sent), `${what}: its unsent bytes`);
    setTcpRepair(fd, true);
  }
}
