import type { TcpStream } from '@ferry/proto';
import {
  receiveBytes, selectTcpQueue, socketQueues, tcpInfo, tcpMaxSegment, tcpQueueSeq, tcpUnsentBytes, tcpTimestamp, tcpWindow, MSG, TCP_QUEUE, TCPI_OPT,
} from '@ferry/sys';
import type { ConnectionLock, Ends } from './tcp-lock.js';

/** Peeks LENGTH bytes of the queue selected (repair mode): they stay where they are. */
function peekQueue(fd: number, queue: number, length: number, what: string): { seq: number; bytes: Buffer } {
  selectTcpQueue(fd, queue);
  const seq = tcpQueueSeq(fd);
  // One byte more than expected: a queue that grew under us is caught, not cut.
  const bytes = Buffer.alloc(length + 1);
  const got = length === 0 ? 0 : receiveBytes(fd, bytes, MSG.PEEK | MSG.DONTWAIT)?.length ?? 0;
  if (got !== length) throw new Error(`${what}: its ${queue === TCP_QUEUE.SEND ? 'send' : 'receive'} queue gave ${got} bytes of ${length}`);
  return { seq, bytes: bytes.subarray(0, length) };
}

function readStream(fd: number, lock: string, what: string): TcpStream {
  const info = tcpInfo(fd);
  const sizes = { ...socketQueues(fd), unsent: tcpUnsentBytes(fd) };
  const window = tcpWindow(fd);
  const receive = peekQueue(fd, TCP_QUEUE.RECEIVE, sizes.receive, what);
  const send = peekQueue(fd, TCP_QUEUE.SEND, sizes.send, what);
  selectTcpQueue(fd, TCP_QUEUE.NONE);
  return {
    lock,
    sendSeq: send.seq,
    receiveSeq: receive.seq,
    sendQueue: send.bytes,
    unsent: sizes.unsent,
    receiveQueue: receive.bytes,
    mss: tcpMaxSegment(fd),
    options: info.options,
    sendWscale: info.options & TCPI_OPT.WSCALE ? info.sendWscale : 0,
    receiveWscale: info.options & TCPI_OPT.WSCALE ? info.receiveWscale : 0,
    timestamp: info.options & TCPI_OPT.TIMESTAMPS ? tcpTimestamp(fd) : 0,
    ...window,
  };
}

/**
 * Takes an established connection out of the kernel's hands for the dump: its packets are dropped
 * under the checkpoint's network lock, then the socket goes into repair mode (so that closing it,
 * when the task dies, sends the peer nothing), then its state and queues are read. FD is ferry's
 * copy of the socket, inode INO; the lock keeps it and gives it back with the tree's fate.
 */
export function takeTcpStream(fd: number, ino: number, ends: Ends, lock: ConnectionLock, what: string): TcpStream {
  lock.repair(fd, ino, ends);
  try {
    return readStream(fd, lock.name, what);
  } catch (e) {
    lock.giveBack(fd);
    throw e;
  }
}
