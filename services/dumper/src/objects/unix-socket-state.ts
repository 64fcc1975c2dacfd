import {
  SOL_SOCKET, SO, getSockOptInt, getSockOptBytes, peerCredentials, peekQueue, type SockAddr, type UnixDiag,
} from '@ferry/sys';
import { UNIX_QUEUED_MAX, UNIX_TYPES, type UnixSocket } from '@ferry/proto';

/** Larger than any datagram a unix socket sends with the default buffers (they cap it at SO_SNDBUF). */
const DATAGRAM_MAX = 4 << 20;

type Options = Pick<UnixSocket, 'rcvbuf' | 'sndbuf' | 'passcred' | 'passsec' | 'peekOff' | 'rcvtimeoUs' | 'sndtimeoUs' | 'creatorPid'>;

function timeoutUs(fd: number, name: number): bigint {
  const tv = getSockOptBytes(fd, SOL_SOCKET, name, 16);
  return tv.readBigInt64LE(0) * 1_000_000n + tv.readBigInt64LE(8);
}

/**
 * The options a service sets on its sockets, read through ferry's copy FD of the socket; the
 * buffer sizes come from the kernel's unix table (D) when it gave them.
 */
export function readOptions(fd: number, d: UnixDiag): Options {
  return {
    rcvbuf: d.rcvbuf || getSockOptInt(fd, SOL_SOCKET, SO.RCVBUF),
    sndbuf: d.sndbuf || getSockOptInt(fd, SOL_SOCKET, SO.SNDBUF),
    passcred: getSockOptInt(fd, SOL_SOCKET, SO.PASSCRED) !== 0,
    passsec: getSockOptInt(fd, SOL_SOCKET, SO.PASSSEC) !== 0,
    peekOff: getSockOptInt(fd, SOL_SOCKET, SO.PEEK_OFF),
    rcvtimeoUs: timeoutUs(fd, SO.RCVTIMEO),
    sndtimeoUs: timeoutUs(fd, SO.SNDTIMEO),
    creatorPid: Math.max(0, peerCredentials(fd).pid),
  };
}

/**
 * The receive queue, left in place; a string saying why it cannot be carried. STREAM_BYTES is
 * what the kernel says a stream or seqpacket socket holds, which the copy must match.
 */
export function readQueue(fd: number, type: number, streamBytes: number, peekOff: number, what: string): UnixSocket['queued'] | string {
  const stream = type === UNIX_TYPES.STREAM;
  if (stream && streamBytes > UNIX_QUEUED_MAX) return `${what} (${streamBytes} bytes queued, more than the ${UNIX_QUEUED_MAX} a checkpoint keeps)`;
  // A stream carries descriptors only with bytes: an empty one has nothing to read.
  if (stream && streamBytes === 0) return [];
  let peeked;
  try {
    peeked = peekQueue(fd, stream, stream ? streamBytes : DATAGRAM_MAX, peekOff);
  } catch (e) {
    return `${what} (its queue cannot be read: ${(e as Error).message})`;
  }
  if (peeked.rights) return `${what}, which has descriptors (SCM_RIGHTS) queued in it: ferry does not carry those yet`;
  // A stream's or seqpacket's recvmsg names the peer, not a sender: only datagrams keep it.
  const senderOf = (from: SockAddr | null) => (type === UNIX_TYPES.DGRAM && from && 'path' in from ? from.path : Buffer.alloc(0));
  const queued = peeked.messages.map((m) => ({ data: m.data, sender: senderOf(m.from) }));
  const bytes = queued.reduce((n, m) => n + m.data.length, 0);
  if (bytes > UNIX_QUEUED_MAX) return `${what} (${bytes} bytes queued, more than the ${UNIX_QUEUED_MAX} a checkpoint keeps)`;
  if (type !== UNIX_TYPES.DGRAM && bytes !== streamBytes) return `${what} (read ${bytes} of the ${streamBytes} bytes queued in it)`;
  return queued;
}
