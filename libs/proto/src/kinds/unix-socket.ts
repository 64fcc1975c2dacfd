import type { UnixSocket } from '../generated/messages.js';
import { checkNotEmpty, checkPidOrZero, checkUnique, fail } from './checks.js';

export const UNIX_TYPES = { STREAM: 1, DGRAM: 2, SEQPACKET: 5 } as const;
export const UNIX_STATES = { CONNECTED: 1, UNCONNECTED: 7, LISTENING: 10 } as const;
const O_RDWR = 2, O_NONBLOCK = 0o4000;
/** sizeof(sun_path). */
export const SUN_PATH_MAX = 108;
/** The kernel caps a listen() backlog at net.core.somaxconn, itself at most 65535... */
const BACKLOG_MAX = 65535;
/** ...and the receive and send buffers at INT_MAX. */
const SOCKET_BUFFER_MAX = 2 ** 31 - 1;
/** Queued bytes ride in the record: keep it far below the frame limit. */
export const UNIX_QUEUED_MAX = 16 << 20;

/** How --inherit-fd and /proc/PID/fd name the socket. */
export function unixSocketName(s: UnixSocket): string {
  return `socket:[${s.ino}]`;
}

/** An address as people read it: a path, or @name for an abstract one. */
export function unixAddressText(name: Uint8Array): string {
  const b = Buffer.from(name);
  return b[0] === 0 ? `@${b.subarray(1).toString('latin1')}` : b.toString();
}

function checkAddress(name: Uint8Array, field: string): void {
  if (name.length > SUN_PATH_MAX) fail(`${field} is ${name.length} bytes long, more than sun_path's ${SUN_PATH_MAX}`);
  if (name.length === 0 || name[0] === 0) return;
  if (name[0] !== 0x2f) fail(`${field} ${JSON.stringify(Buffer.from(name).toString())} is neither an absolute path nor an abstract name`);
  if (name.includes(0)) fail(`${field} is a path with a NUL byte in it`);
}

function checkQueue(s: UnixSocket): void {
  const bytes = s.queued.reduce((n, m) => n + m.data.length, 0);
  if (bytes > UNIX_QUEUED_MAX) fail(`${bytes} bytes queued, more than the ${UNIX_QUEUED_MAX} a checkpoint keeps`);
  if (bytes > 2 * SOCKET_BUFFER_MAX) fail(`${bytes} bytes queued do not fit a socket`);
  if (s.state === UNIX_STATES.LISTENING && s.queued.length > 0) fail('a listening socket has queued messages');
  if (s.type === UNIX_TYPES.STREAM && s.queued.length > 1) fail(`a stream socket has ${s.queued.length} queued messages (its bytes are one)`);
  s.queued.forEach((m, i) => {
    checkAddress(m.sender, `queued[${i}].sender`);
    if (m.sender.length > 0 && s.type !== UNIX_TYPES.DGRAM) fail(`queued[${i}] has a sender on a socket that is not a datagram one`);
  });
}

function checkListener(s: UnixSocket): void {
  if (s.state !== UNIX_STATES.LISTENING) {
    if (s.backlog !== 0 || s.acceptQueue.length > 0) fail('backlog or accept_queue on a socket that does not listen');
    return;
  }
  if (s.type === UNIX_TYPES.DGRAM) fail('a datagram socket listens');
  if (s.name.length === 0) fail('a listening socket is not bound');
  if (s.backlog > BACKLOG_MAX) fail(`backlog ${s.backlog} is above ${BACKLOG_MAX}`);
  if (s.acceptQueue.length > s.backlog + 1) fail(`${s.acceptQueue.length} connections wait in the accept queue of a backlog of ${s.backlog}`);
  checkUnique(s.acceptQueue, 'accept_queue');
  if (s.acceptQueue.includes(0n)) fail('accept_queue names inode 0');
  if (s.peerIno !== 0n || s.peerClosed) fail('a listening socket has a peer');
}

export function validateUnixSocket(s: UnixSocket): void {
  checkNotEmpty(s.id, 'id');
  if (s.ino === 0n) fail('ino is 0');
  if (!(Object.values(UNIX_TYPES) as number[]).includes(s.type)) fail(`type ${s.type} is not SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET`);
  if (!(Object.values(UNIX_STATES) as number[]).includes(s.state)) fail(`state ${s.state} is not connected (1), unconnected (7) or listening (10)`);
  if (s.flags & ~(O_RDWR | O_NONBLOCK) || (s.flags & 3) !== O_RDWR) fail(`flags 0o${s.flags.toString(8)} are not O_RDWR with at most O_NONBLOCK`);
  checkAddress(s.name, 'name');
  if (s.nameUnlinked && (s.name.length === 0 || s.name[0] === 0)) fail('name_unlinked on a socket not bound to a path');
  checkAddress(s.peerName, 'peer_name');
  if (s.peerIno === s.ino) fail('the socket is its own peer');
  const peers = [s.peerIno !== 0n, s.peerName.length > 0, s.peerClosed].filter(Boolean).length;
  if (peers > 1) fail('more than one of peer_ino, peer_name and peer_closed');
  if (s.peerName.length > 0 && s.type !== UNIX_TYPES.DGRAM) fail('peer_name on a socket that is not a datagram one');
  if (s.state === UNIX_STATES.UNCONNECTED && (s.peerIno !== 0n || s.peerName.length > 0 || s.peerClosed)) fail('an unconnected socket has a peer');
  if (s.shutdown > 3) fail(`shutdown ${s.shutdown} has bits beyond receive (1) and send (2)`);
  checkListener(s);
  for (const [field, v] of [['rcvbuf', s.rcvbuf], ['sndbuf', s.sndbuf]] as const) if (v > SOCKET_BUFFER_MAX) fail(`${field} ${v} is above ${SOCKET_BUFFER_MAX}`);
  if (s.peekOff < -1) fail(`peek_off ${s.peekOff} is below -1`);
  checkPidOrZero(s.creatorPid, 'creator_pid');
  checkQueue(s);
}
