import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  AF_INET, AF_INET6, AF_UNIX, MSG, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SO,
  acceptSocket, bindSocket, connectSocket, getSockOptInt, ipv6Bytes, ipv6Text, listenSocket, peerCredentials,
  peerName, receiveBytes, sendBytes, sendBytesTo, socket, socketName, socketPair,
} from '../src/index.js';

test('a socketpair carries bytes both ways, a peek leaves them queued, and the peer is ferry itself', () => {
  const [a, b] = socketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    assert.equal(sendBytes(a, Buffer.from('hello')), 5);
    const buf = Buffer.alloc(16);
    assert.equal(receiveBytes(b, buf, MSG.PEEK | MSG.DONTWAIT)?.length, 5);
    assert.equal(receiveBytes(b, buf, MSG.DONTWAIT)?.length, 5);
    assert.equal(buf.subarray(0, 5).toString(), 'hello');
    assert.equal(receiveBytes(b, buf, MSG.DONTWAIT), null);
    assert.equal(peerCredentials(b).pid, process.pid);
    assert.equal(getSockOptInt(a, SOL_SOCKET, SO.TYPE), SOCK_STREAM);
  } finally {
    fs.closeSync(a);
    fs.closeSync(b);
  }
});

test('a TCP listener on loopback accepts a connection, and names on both ends agree', () => {
  const listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
  const client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
  let served = -1;
  try {
    bindSocket(listener, { family: AF_INET, address: '127.0.0.1', port: 0 });
    listenSocket(listener, 4);
    const bound = socketName(listener);
    assert.ok('port' in bound && bound.port > 0);
    connectSocket(client, bound);
    served = acceptSocket(listener) ?? -1;
    assert.ok(served >= 0);
    assert.deepEqual(peerName(served), socketName(client));
    assert.equal(peerName(listener), null);
  } finally {
    for (const fd of [listener, client, served]) if (fd >= 0) fs.closeSync(fd);
  }
});

test('datagrams to an abstract unix address keep their boundaries and sender', () => {
  const name = Buffer.from(`\0ferry-test-${process.pid}`);
  const receiver = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK);
  const sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC);
  try {
    bindSocket(receiver, { family: AF_UNIX, path: name });
    bindSocket(sender, { family: AF_UNIX, path: Buffer.from(`\0ferry-test-sender-${process.pid}`) });
    sendBytesTo(sender, Buffer.from('one'), { family: AF_UNIX, path: name });
    sendBytesTo(sender, Buffer.from('three'), { family: AF_UNIX, path: name });
    const buf = Buffer.alloc(64);
    const first = receiveBytes(receiver, buf, 0);
    assert.equal(first?.length, 3);
    assert.deepEqual(first?.from, socketName(sender));
    assert.equal(receiveBytes(receiver, buf, 0)?.length, 5);
  } finally {
    fs.closeSync(receiver);
    fs.closeSync(sender);
  }
});

test('IPv6 addresses go to bytes and back in their usual text', () => {
  for (const text of ['::1', '::', 'fe80::1:2', '2001:db8::8:800:200c:417a', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8']) {
    assert.equal(ipv6Text(ipv6Bytes(text)), text);
  }
  assert.throws(() => ipv6Bytes('1:2:3'), /not an IPv6 address/);
  const s = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    bindSocket(s, { family: AF_INET6, address: '::1', port: 0 });
    const name = socketName(s);
    assert.ok('address' in name && name.address === '::1' && name.family === AF_INET6);
  } finally {
    fs.closeSync(s);
  }
});
