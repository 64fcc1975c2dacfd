import { UNIX_STATES, UNIX_TYPES, type UnixSocket } from '@ferry/proto';
import { PlanError } from '../plan-error.js';

/** How the sockets of an image hang together, checked once before anything is made. */
export interface UnixLinks {
  byIno: ReadonlyMap<bigint, UnixSocket>;
  /** A connecting socket -> the listener in whose accept queue it waits. */
  waitingIn: ReadonlyMap<bigint, UnixSocket>;
}

const fault = (s: UnixSocket, what: string) => new PlanError(`image: unix socket ${s.id} (socket:[${s.ino}]) ${what}`);

function checkPeer(s: UnixSocket, byIno: ReadonlyMap<bigint, UnixSocket>): void {
  if (s.peerIno === 0n) return;
  const peer = byIno.get(s.peerIno);
  if (!peer) throw fault(s, `names peer socket:[${s.peerIno}], which the image does not have`);
  if (peer.type !== s.type) throw fault(s, `is connected to socket:[${peer.ino}] of another type`);
  if (s.type !== UNIX_TYPES.DGRAM && peer.peerIno !== s.ino) throw fault(s, `is connected to socket:[${peer.ino}], which is connected elsewhere`);
  if (s.type === UNIX_TYPES.DGRAM && peer.peerIno !== s.ino && peer.name.length === 0) throw fault(s, `is connected to socket:[${peer.ino}], which has no address to reconnect to`);
}

function checkAcceptQueue(l: UnixSocket, byIno: ReadonlyMap<bigint, UnixSocket>, waitingIn: Map<bigint, UnixSocket>): void {
  for (const ino of l.acceptQueue) {
    const client = byIno.get(ino);
    if (!client) throw fault(l, `has socket:[${ino}] waiting in its accept queue, which the image does not have`);
    if (client.type !== l.type || client.state !== UNIX_STATES.CONNECTED || client.peerIno !== 0n || client.peerClosed) {
      throw fault(l, `has socket:[${ino}] waiting in its accept queue, which is no connecting socket of its type`);
    }
    if (waitingIn.has(ino)) throw fault(l, `has socket:[${ino}] waiting in its accept queue, which waits in another one too`);
    waitingIn.set(ino, l);
  }
}

/** PlanError naming the record when a peer or a waiting connection is missing or does not match. */
export function linkUnixSockets(sockets: UnixSocket[]): UnixLinks {
  const byIno = new Map<bigint, UnixSocket>();
  for (const s of sockets) {
    if (byIno.has(s.ino)) throw fault(s, 'is in the image twice');
    byIno.set(s.ino, s);
  }
  const waitingIn = new Map<bigint, UnixSocket>();
  for (const s of sockets) {
    checkPeer(s, byIno);
    if (s.state === UNIX_STATES.LISTENING) checkAcceptQueue(s, byIno, waitingIn);
  }
  for (const s of sockets) {
    const lonely = s.state === UNIX_STATES.CONNECTED && s.type !== UNIX_TYPES.DGRAM && s.peerIno === 0n && !s.peerClosed;
    if (lonely && !waitingIn.has(s.ino)) throw fault(s, 'is connected, but neither to a peer nor waiting in an accept queue');
  }
  const listeners = sockets.filter((s) => s.state === UNIX_STATES.LISTENING).map((s) => s.name.toString('latin1'));
  if (new Set(listeners).size !== listeners.length) throw new PlanError('image: two unix sockets listen on one address');
  return { byIno, waitingIn };
}
