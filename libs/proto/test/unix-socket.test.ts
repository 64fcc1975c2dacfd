// A unix socket record that the kernel could not have made is refused, naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PayloadError, validatePayload, type KindPayloads } from '../src/index.js';
import { SAMPLES } from './fixtures.js';

type UnixSocket = KindPayloads['unix-socket'];
const LISTENER: UnixSocket = { ...SAMPLES['unix-socket'], type: 1, state: 10, backlog: 2, acceptQueue: [7n, 8n], peerName: Buffer.alloc(0), queued: [], shutdown: 0 };

function refuses(over: Partial<UnixSocket>, pattern: RegExp, base: UnixSocket = SAMPLES['unix-socket']): void {
  assert.throws(() => validatePayload('unix-socket', { ...base, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), `${pattern}`);
}

test('the sample socket and a listener with connections waiting are valid', () => {
  validatePayload('unix-socket', SAMPLES['unix-socket']);
  validatePayload('unix-socket', LISTENER);
});

test('a damaged family of fields is refused: type, state, flags, shutdown, options, creator', () => {
  refuses({ type: 3 }, /^type 3 is not SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET$/);
  refuses({ state: 2 }, /^state 2 is not connected \(1\), unconnected \(7\) or listening \(10\)$/);
  refuses({ flags: 0o2000002 }, /^flags 0o2000002 are not O_RDWR with at most O_NONBLOCK$/);
  refuses({ flags: 0 }, /are not O_RDWR/);
  refuses({ shutdown: 4 }, /^shutdown 4 has bits beyond/);
  refuses({ rcvbuf: 2 ** 31 }, /^rcvbuf 2147483648 is above 2147483647$/);
  refuses({ peekOff: -2 }, /^peek_off -2 is below -1$/);
  refuses({ creatorPid: 4194305 }, /^creator_pid 4194305 is not a pid/);
  refuses({ ino: 0n }, /^ino is 0$/);
  refuses({ id: '' }, /^id is empty$/);
});

test('addresses the kernel would not take are refused', () => {
  refuses({ name: Buffer.alloc(109, 0x2f) }, /^name is 109 bytes long, more than sun_path's 108$/);
  refuses({ name: Buffer.from('relative.sock') }, /^name "relative.sock" is neither an absolute path nor an abstract name$/);
  refuses({ name: Buffer.from('/a\0b') }, /^name is a path with a NUL byte in it$/);
  refuses({ name: Buffer.from('\0abstract'), nameUnlinked: true }, /^name_unlinked on a socket not bound to a path$/);
  refuses({ peerName: Buffer.from('x') }, /^peer_name "x" is neither/);
});

test('peers that cannot be are refused', () => {
  refuses({ peerIno: SAMPLES['unix-socket'].ino, peerName: Buffer.alloc(0) }, /^the socket is its own peer$/);
  refuses({ peerIno: 5n }, /^more than one of peer_ino, peer_name and peer_closed$/);
  refuses({ type: 1, peerName: Buffer.from('\0x'), queued: [] }, /^peer_name on a socket that is not a datagram one$/);
  refuses({ state: 7 }, /^an unconnected socket has a peer$/);
});

test('listeners and queues beyond what the kernel allows are refused', () => {
  refuses({ backlog: 70000, acceptQueue: [] }, /^backlog 70000 is above 65535$/, LISTENER);
  refuses({ backlog: 0 }, /^2 connections wait in the accept queue of a backlog of 0$/, LISTENER);
  refuses({ acceptQueue: [7n, 7n] }, /^accept_queue lists 7 twice$/, LISTENER);
  refuses({ acceptQueue: [0n] }, /^accept_queue names inode 0$/, LISTENER);
  refuses({ type: 2 }, /^a datagram socket listens$/, LISTENER);
  refuses({ name: Buffer.alloc(0) }, /^a listening socket is not bound$/, LISTENER);
  refuses({ queued: [{ data: Buffer.from('x'), sender: Buffer.alloc(0) }] }, /^a listening socket has queued messages$/, LISTENER);
  refuses({ state: 1, peerName: Buffer.alloc(0), peerIno: 9n }, /^backlog or accept_queue on a socket that does not listen$/, LISTENER);
  refuses({ queued: [{ data: Buffer.alloc((16 << 20) + 1), sender: Buffer.alloc(0) }] }, /^16777217 bytes queued, more than the 16777216 a checkpoint keeps$/);
  refuses({ type: 1, peerName: Buffer.alloc(0), queued: [{ data: Buffer.from('a'), sender: Buffer.alloc(0) }, { data: Buffer.from('b'), sender: Buffer.alloc(0) }] }, /^a stream socket has 2 queued messages/);
  refuses({ type: 5, peerName: Buffer.alloc(0) }, /^queued\[0\] has a sender on a socket that is not a datagram one$/);
  refuses({ queued: [{ data: Buffer.from('a'), sender: Buffer.from('rel') }] }, /^queued\[0\]\.sender "rel" is neither/);
});
