import fs from 'node:fs';
import { INET_STATE, inetSocketName, type Image, type InetSocket } from '@ferry/proto';
import {
  bindSocket, connectSocket, listenSocket, setSockOptInt, setStatusFlags, setTcpRepair, socket, unlockConnections, AF_INET, SO, SOCK_CLOEXEC, SOCK_NONBLOCK,
  SOCK_STREAM, SOL_IP, SOL_IPV6, SOL_SOCKET, SOL_TCP, type SockAddr,
} from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { notInherited, type SharedContext } from '../shared-context.js';
import { repairTcpStream } from './tcp-stream.js';

const O_NONBLOCK = 0o4000;
const IPV6_V6ONLY = 26, TCP_NODELAY = 1, IP_TRANSPARENT = 19, IPV6_TRANSPARENT = 75;

function address(family: number, address: string, port: number): SockAddr {
  return family === AF_INET ? { family: AF_INET, address: address || '0.0.0.0', port } : { family: 10, address: address || '::', port };
}

const isConnection = (s: InetSocket) => s.type === SOCK_STREAM && s.state === INET_STATE.ESTABLISHED;

/** Options set before bind, as the program had them. */
function setOptions(fd: number, s: InetSocket): void {
  if (s.reuseAddress) setSockOptInt(fd, SOL_SOCKET, SO.REUSEADDR, 1);
  if (s.reusePort) setSockOptInt(fd, SOL_SOCKET, SO.REUSEPORT, 1);
  if (s.family !== AF_INET) setSockOptInt(fd, SOL_IPV6, IPV6_V6ONLY, s.v6Only ? 1 : 0);
  if (s.keepalive) setSockOptInt(fd, SOL_SOCKET, SO.KEEPALIVE, 1);
  if (s.noDelay) setSockOptInt(fd, SOL_TCP, TCP_NODELAY, 1);
  // The queues a connection had must fit again: its buffers as they had grown (the kernel doubles what it is given).
  if (isConnection(s)) {
    setSockOptInt(fd, SOL_SOCKET, SO.SNDBUFFORCE, Math.ceil(s.sendBuffer / 2));
    setSockOptInt(fd, SOL_SOCKET, SO.RCVBUFFORCE, Math.ceil(s.receiveBuffer / 2));
  }
}

function setTransparent(fd: number, s: InetSocket, on: boolean): void {
  if (s.family === AF_INET) setSockOptInt(fd, SOL_IP, IP_TRANSPARENT, on ? 1 : 0);
  else setSockOptInt(fd, SOL_IPV6, IPV6_TRANSPARENT, on ? 1 : 0);
}

function openOne(s: InetSocket): number {
  const what = inetSocketName(s);
  // Non-blocking while ferry fills it: a queue that does not fit fails, it does not hang.
  const fd = socket(s.family, s.type | SOCK_CLOEXEC | SOCK_NONBLOCK);
  try {
    setOptions(fd, s);
    if (isConnection(s)) {
      // In repair mode the kernel lets the connection share its local port with the listener.
      setTcpRepair(fd, true);
      // A migrated connection's address may reach this host only after the restore (see README):
      // transparent, a socket binds and routes from an address that is not (yet) local.
      setTransparent(fd, s, true);
    }
    try {
      if (s.bound) bindSocket(fd, address(s.family, s.localAddress, s.localPort));
    } catch (e) {
      throw new Error(`${what}: cannot bind it again (${(e as Error).message})`);
    }
    if (s.state === INET_STATE.LISTEN) {
      listenSocket(fd, s.backlog);
    } else if (isConnection(s)) {
      repairTcpStream(fd, s, address(s.family, s.remoteAddress, s.remotePort), what);
      setTransparent(fd, s, false);
    } else if (s.state === INET_STATE.ESTABLISHED) {
      connectDatagram(fd, s, what);
    }
    setStatusFlags(fd, s.flags & O_NONBLOCK);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function connectDatagram(fd: number, s: InetSocket, what: string): void {
  try {
    // A datagram connect sends nothing: it only fixes the peer.
    connectSocket(fd, address(s.family, s.remoteAddress, s.remotePort));
  } catch (e) {
    throw new Error(`${what}: cannot connect it again (${(e as Error).message})`);
  }
}

/** Every inet socket of the image, listeners first: a connection in repair mode then shares their port. */
function openInetSockets(ctx: SharedContext, sockets: InetSocket[], opened: Map<string, number>): void {
  const connections = sockets.filter(isConnection);
  if (connections.length > 0 && !ctx.tcpEstablished) {
    throw new Error(`${inetSocketName(connections[0]!)} is an established connection (restore with --tcp-established)`);
  }
  const order = [...sockets].sort((a, b) => Number(isConnection(a)) - Number(isConnection(b)));
  for (const s of order) opened.set(s.id, openOne(s));
}

/** The connections speak again, then their packets flow: the peers' next retransmits find them. */
function releaseConnections(connections: InetSocket[], opened: ReadonlyMap<string, number>): void {
  for (const c of connections) setTcpRepair(opened.get(c.id)!, false);
  for (const lock of new Set(connections.map((c) => c.stream.lock))) unlockConnections(lock);
}

function checkSockets(image: Image): InetSocket[] {
  const sockets = image.byKind('inet_socket');
  const bound = new Map<string, string>();
  for (const s of sockets) {
    if (!s.bound || isConnection(s) || s.reusePort) continue;
    const key = `${s.type}/${s.localAddress}/${s.localPort}`;
    const twin = bound.get(key);
    if (twin) throw new PlanError(`image: inet sockets ${twin} and ${s.id} are both bound to ${inetSocketName(s)}`);
    bound.set(key, s.id);
  }
  return sockets;
}

export const inetSocketKind: ObjectKind = {
  name: 'inet-socket',
  files: (image) => image.byKind('inet_socket').map((f) => ({ id: f.id })),
  check(image) {
    const sockets = checkSockets(image);
    let opened: ReadonlyMap<string, number> = new Map();
    let connections: InetSocket[] = [];
    return {
      open(ctx, into) {
        const ours = notInherited(ctx, sockets);
        openInetSockets(ctx, ours, into);
        opened = into;
        connections = ours.filter(isConnection);
      },
      participants: { COMPLETE: () => (connections.length ? [{ name: 'tcp connections', work: () => releaseConnections(connections, opened) }] : []) },
    };
  },
};
