// Damaged inet_socket records: an image holding one is refused as it is read, in one line naming
// the record and what is wrong with it, before a restore could act on it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { encodePayload, ImageError, loadLocalImage, PAGES_FILE, RECORDS_FILE, type InetSocket } from '../src/index.js';
import { rawStream, SAMPLES, tempDir } from './fixtures.js';

const scratch = tempDir('inet');
after(() => fs.rmSync(scratch, { recursive: true, force: true }));
let counter = 0;

const GOOD = SAMPLES.inet_socket;
const LISTENER: InetSocket = { ...GOOD, state: 10, remoteAddress: '', remotePort: 0, backlog: 128, stream: { ...GOOD.stream, lock: '', sendQueue: Buffer.alloc(0), receiveQueue: Buffer.alloc(0), unsent: 0 } };
const UDP: InetSocket = { ...LISTENER, type: 2, state: 7, backlog: 0 };

/** Loads an image whose one object is SOCKET: the error it gives, or null if it loads. */
async function loadWith(socket: InetSocket): Promise<string | null> {
  const dir = path.join(scratch, `d${counter++}`);
  fs.mkdirSync(dir);
  const records = [
    { kind: 'inventory', objectId: 'inventory', payload: encodePayload('inventory', SAMPLES.inventory) },
    { kind: 'inet_socket', objectId: socket.id, payload: encodePayload('inet_socket', socket) },
    { kind: 'commit', objectId: 'commit', payload: encodePayload('commit', { recordCount: 2n, kindCounts: { inventory: 1n, inet_socket: 1n }, pageBytes: 0n }) },
  ];
  fs.writeFileSync(path.join(dir, RECORDS_FILE), rawStream(records, 'ckpt-sample'));
  fs.writeFileSync(path.join(dir, PAGES_FILE), '');
  try {
    await loadLocalImage(dir);
    return null;
  } catch (e) {
    assert.ok(e instanceof ImageError, `not an ImageError: ${(e as Error).stack}`);
    return (e as Error).message;
  }
}

describe('inet_socket records', () => {
  it('load when whole: a connection with its stream, a listener, a UDP socket', async () => {
    for (const s of [GOOD, LISTENER, UDP]) assert.equal(await loadWith(s), null);
  });

  it('are refused when damaged, naming the record and the field', async () => {
    const damaged: [string, Partial<InetSocket>, string][] = [
      ['a unix family', { family: 1 }, 'family 1 is not AF_INET (2) or AF_INET6 (10)'],
      ['a raw socket', { type: 3 }, 'type 3 is not SOCK_STREAM (1) or SOCK_DGRAM (2)'],
      ['a half-closed state', { state: 8 }, 'state 8 is not one of 1, 7, 10 for a TCP socket'],
      ['an IPv4 address on an IPv6 socket', { localAddress: '127.0.0.1' }, 'local_address "127.0.0.1" is not an IPv6 address'],
      ['an address that is none', { remoteAddress: 'fe80::1::2' }, 'remote_address "fe80::1::2" is not an IPv6 address'],
      ['a port beyond 65535', { localPort: 65536 }, 'local_port 65536 is not a port (1..65535)'],
      ['a connection to port 0', { remotePort: 0 }, 'remote_port 0 is not a port (1..65535)'],
      ['file flags of another kind', { flags: 0o2000000 }, 'flags 0o2000000 are not socket file flags'],
      ['a send queue larger than a socket holds', { stream: { ...GOOD.stream, sendQueue: Buffer.alloc(32 * 1024 * 1024 + 1) } }, 'stream.send_queue of 33554433 bytes is larger than a socket holds'],
      ['more unsent bytes than queued', { stream: { ...GOOD.stream, unsent: 70001 } }, 'stream.unsent 70001 exceeds the 70000 bytes of stream.send_queue'],
      ['a segment size of 0', { stream: { ...GOOD.stream, mss: 0 } }, 'stream.mss 0 is not a segment size (1..65535)'],
      ['a window scale beyond 14', { stream: { ...GOOD.stream, sendWscale: 15 } }, 'stream window scales 15/7 exceed 14'],
      ['unknown TCP options', { stream: { ...GOOD.stream, options: 8 } }, 'stream.options 0x8 are not TCP options'],
      ['a connection without its lock', { stream: { ...GOOD.stream, lock: '' } }, 'stream.lock is empty'],
      ['a lock name nft would misread', { stream: { ...GOOD.stream, lock: 'a; flush ruleset' } }, 'stream.lock "a; flush ruleset" is not a lock name'],
      ['a listener with a peer', { ...LISTENER, remoteAddress: '::1', remotePort: 80 }, 'remote [::1]:80 given for a socket that is not connected'],
      ['a listener with no backlog', { ...LISTENER, backlog: 0 }, 'backlog 0 is not a listen backlog (1..65535)'],
      ['a UDP socket with a stream', { ...UDP, stream: GOOD.stream }, 'stream state given for a socket that is not an established TCP connection'],
      ['IPV6_V6ONLY on IPv4', { ...UDP, family: 2, localAddress: '127.0.0.1', v6Only: true }, 'v6_only is set on an IPv4 socket'],
      ['buffers beyond any limit', { sendBuffer: 0xffffffff }, 'buffer sizes 4294967295/6291456 exceed 67108864'],
    ];
    for (const [what, over, message] of damaged) {
      const s = { ...GOOD, ...over };
      assert.equal(await loadWith(s), `records.log: record 1 (inet_socket ${s.id}): ${message}`, what);
    }
  });
});
