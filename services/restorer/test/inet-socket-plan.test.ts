// The planner on images with inet sockets: sockets that could not all be bound again are refused
// before anything is made, naming them; sharing a port the way the kernel allows is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InetSocket } from '@ferry/proto';
import { planRestore } from '../src/index.js';
import { memoryImage, type SampleRecord } from './memory-image.js';
import { sampleTree, fd } from './samples.js';

const NO_STREAM: InetSocket['stream'] = {
  lock: '', sendSeq: 0, receiveSeq: 0, sendQueue: Buffer.alloc(0), unsent: 0, receiveQueue: Buffer.alloc(0), mss: 0, options: 0,
  sendWscale: 0, receiveWscale: 0, timestamp: 0, sndWl1: 0, sndWnd: 0, maxWindow: 0, rcvWnd: 0, rcvWup: 0,
};

function listener(id: string, more: Partial<InetSocket> = {}): SampleRecord {
  return {
    kind: 'inet_socket',
    payload: {
      id, family: 2, type: 1, state: 10, flags: 2, localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '', remotePort: 0, backlog: 16,
      reuseAddress: true, reusePort: false, v6Only: false, keepalive: false, noDelay: false, bound: true, stream: NO_STREAM, sendBuffer: 0, receiveBuffer: 0, ...more,
    },
  };
}

const withSockets = (...sockets: SampleRecord[]) => memoryImage([...sampleTree(), ...sockets, ...sockets.map((s, i) => fd(100, 20 + i, (s.payload as InetSocket).id))]);

test('two listeners on one address and port are refused, naming both', () => {
  assert.throws(() => planRestore(withSockets(listener('file:100:20'), listener('file:100:21'))), { message: 'image: inet sockets file:100:20 and file:100:21 are both bound to TCP 127.0.0.1:8080' });
});

test('listeners sharing a port with SO_REUSEPORT, or on other ports or protocols, are planned', () => {
  planRestore(withSockets(listener('file:100:20', { reusePort: true }), listener('file:100:21', { reusePort: true })));
  planRestore(withSockets(listener('file:100:20'), listener('file:100:21', { localPort: 8081 }), listener('file:100:22', { type: 2, state: 7, backlog: 0 })));
});
