import fs from 'node:fs';
import type { TcpStream } from '@ferry/proto';
import {
  lockConnections, receiveBytes, selectTcpQueue, setTcpRepair, socketQueues, tcpInfo, tcpMaxSegment, tcpQueueSeq, tcpUnsentBytes,
  tcpTimestamp, tcpWindow, unlockConnections, MSG, TCP_QUEUE, TCPI_OPT, type LockedConnection,
} from '@ferry/sys';
import type { Holding } from '../collector.js';

/** Ends of a connection as the socket names them. */
export interface Ends { localAddress: string; localPort: number; remoteAddress: string; remotePort: number }

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** A dual-stack socket's IPv4 peer travels as IPv4 on the wire: the lock matches what is on the wire. */
function lockedConnection(e: Ends): LockedConnection {
  const local = MAPPED_V4.exec(e.localAddress), remote = MAPPED_V4.exec(e.remoteAddress);
  if (local && remote) return { family: 'ip', localAddress: local[1]!, localPort: e.localPort, remoteAddress: remote[1]!, remotePort: e.remotePort };
  const family = e.localAddress.includes(':') ? 'ip6' : 'ip';
  return { family, localAddress: e.localAddress, localPort: e.localPort, remoteAddress: e.remoteAddress, remotePort: e.remotePort };
}

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
 * copy of the socket; the holding keeps it. Undone (or the tree resumed): repair off, unlocked.
 */
export function takeTcpStream(fd: number, ends: Ends, lock: string, what: string, held: Holding[]): TcpStream {
  let repairing = false;
  const giveBack = () => {
    try {
      if (repairing) setTcpRepair(fd, false);
    } finally {
      fs.closeSync(fd);
      unlockConnections(lock);
    }
  };
  try {
    lockConnections(lock, [lockedConnection(ends)]);
    setTcpRepair(fd, true);
    repairing = true;
    const stream = readStream(fd, lock, what);
    held.push({
      // A killed task's repair-mode socket closes silently; the lock stays for the restore to lift.
      release: (fate) => (fate === 'resume' ? giveBack() : fs.closeSync(fd)),
      undo: giveBack,
    });
    return stream;
  } catch (e) {
    giveBack();
    throw e;
  }
}
