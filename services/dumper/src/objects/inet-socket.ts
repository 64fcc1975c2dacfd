import fs from 'node:fs';
import { INET_STATE, inetSocketName, type InetSocket, type TcpStream } from '@ferry/proto';
import {
  getSockOptInt, peerName, socketName, socketQueues, tcpInfo, AF_INET, AF_INET6, SO, SOCK_DGRAM, SOCK_STREAM,
  SOL_IPV6, SOL_SOCKET, SOL_TCP, type FdInfo, type SockAddr,
} from '@ferry/sys';
import { copyOfFd, type DescribeContext, type FileObject } from './file-kinds.js';
import { takeTcpStream } from './tcp-stream.js';
import { connectionLock } from './tcp-lock.js';
import { socketInode } from './tree-sockets.js';

const O_NONBLOCK = 0o4000, O_RDWR = 2;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17;
const IPV6_V6ONLY = 26, TCP_NODELAY = 1;
const TCP_STATE_NAMES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];
const NO_STREAM: TcpStream = {
  lock: '', sendSeq: 0, receiveSeq: 0, sendQueue: Buffer.alloc(0), unsent: 0, receiveQueue: Buffer.alloc(0), mss: 0, options: 0,
  sendWscale: 0, receiveWscale: 0, timestamp: 0, sndWl1: 0, sndWnd: 0, maxWindow: 0, rcvWnd: 0, rcvWup: 0,
};

function endOf(addr: SockAddr | null): { address: string; port: number } {
  if (addr && 'address' in addr) return { address: addr.address, port: addr.port };
  return { address: '', port: 0 };
}

/** The socket as the record has it, but for its connection's stream. */
function readSocket(fd: number, id: string, family: number, type: number, info: FdInfo): InetSocket {
  const local = endOf(socketName(fd));
  const peer = peerName(fd);
  const remote = endOf(peer);
  const tcp = type === SOCK_STREAM ? tcpInfo(fd) : null;
  const state = tcp ? tcp.state : peer ? INET_STATE.ESTABLISHED : INET_STATE.CLOSE;
  const anyAddress = family === AF_INET ? '0.0.0.0' : '::';
  const bound = local.port !== 0;
  return {
    id, family, type, state,
    flags: info.flags & (O_NONBLOCK | O_RDWR),
    localAddress: bound || local.address !== anyAddress ? local.address : '',
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    backlog: tcp && state === INET_STATE.LISTEN ? tcp.backlog : 0,
    reuseAddress: getSockOptInt(fd, SOL_SOCKET, SO.REUSEADDR) !== 0,
    reusePort: getSockOptInt(fd, SOL_SOCKET, SO.REUSEPORT) !== 0,
    v6Only: family === AF_INET6 && getSockOptInt(fd, SOL_IPV6, IPV6_V6ONLY) !== 0,
    keepalive: getSockOptInt(fd, SOL_SOCKET, SO.KEEPALIVE) !== 0,
    noDelay: tcp !== null && getSockOptInt(fd, SOL_TCP, TCP_NODELAY) !== 0,
    bound,
    stream: NO_STREAM,
    sendBuffer: getSockOptInt(fd, SOL_SOCKET, SO.SNDBUF),
    receiveBuffer: getSockOptInt(fd, SOL_SOCKET, SO.RCVBUF),
  };
}

/** Why S cannot be carried as it is, or null if it can. */
function refusal(fd: number, s: InetSocket, ctx: DescribeContext): string | null {
  const name = inetSocketName(s);
  if (s.type === SOCK_STREAM) {
    if (s.state !== INET_STATE.LISTEN && s.state !== INET_STATE.ESTABLISHED && s.state !== INET_STATE.CLOSE) {
      return `${name} is in state ${TCP_STATE_NAMES[s.state] ?? s.state} (ferry carries listening, established and unconnected TCP sockets)`;
    }
    if (s.state === INET_STATE.LISTEN) {
      const waiting = tcpInfo(fd).acceptQueue;
      if (waiting > 0) return `${name} is listening with ${waiting} connection(s) not yet accepted (ferry does not carry them)`;
    }
    if (s.state === INET_STATE.ESTABLISHED && !ctx.options.tcpEstablished) return `${name} is an established connection (dump with --tcp-established)`;
    return null;
  }
  const queued = socketQueues(fd);
  if (queued.receive > 0 || queued.send > 0) return `${name} has datagrams queued (ferry does not carry them)`;
  return null;
}

/**
 * An IPv4 or IPv6 TCP or UDP socket. Its family and type come from the socket itself (a copy of
 * the task's descriptor); other families are left to their own kinds. An established TCP
 * connection is taken (see takeTcpStream) only while the tree is frozen.
 */
export function describeInetSocket(pid: number, info: FdInfo, id: string, ctx: DescribeContext): FileObject | string | null {
  if (!info.target.startsWith('socket:')) return null;
  let fd: number | null = copyOfFd(ctx, pid, info.fd);
  try {
    const family = getSockOptInt(fd, SOL_SOCKET, SO.DOMAIN);
    if (family !== AF_INET && family !== AF_INET6) return null;
    const type = getSockOptInt(fd, SOL_SOCKET, SO.TYPE);
    const protocol = getSockOptInt(fd, SOL_SOCKET, SO.PROTOCOL);
    const ip = family === AF_INET ? 'IPv4' : 'IPv6';
    if (!(type === SOCK_STREAM && protocol === IPPROTO_TCP) && !(type === SOCK_DGRAM && protocol === IPPROTO_UDP)) {
      return `${info.target} (an ${ip} socket of type ${type}, protocol ${protocol}: ferry carries TCP and UDP)`;
    }
    const socket = readSocket(fd, id, family, type, info);
    const why = refusal(fd, socket, ctx);
    if (why) return why;
    if (type === SOCK_STREAM && socket.state === INET_STATE.ESTABLISHED && ctx.contents) {
      const lock = connectionLock(ctx);
      const copy = fd;
      fd = null; // the lock keeps it
      socket.stream = takeTcpStream(copy, socketInode(info.target)!, socket, lock, inetSocketName(socket));
    }
    return { kind: 'inet_socket', id, payload: socket };
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
