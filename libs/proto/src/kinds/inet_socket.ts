import { isIPv4, isIPv6 } from 'node:net';
import type { InetSocket, TcpStream } from '../generated/messages.js';
import { checkNotEmpty, fail } from './checks.js';

export const INET_FAMILIES = { 2: 'IPv4', 10: 'IPv6' } as const;
export const INET_TYPES = { 1: 'TCP', 2: 'UDP' } as const;
/** The kernel's TCP state numbers ferry carries. */
export const INET_STATE = { ESTABLISHED: 1, CLOSE: 7, LISTEN: 10 } as const;

const O_NONBLOCK = 0o4000;
const O_RDWR = 2;
const TCPI_OPTS = 1 | 2 | 4;
/** Far above what tcp_rmem/tcp_wmem let a socket hold here (6 MiB, 4 MiB): a bigger queue is damage. */
const QUEUE_MAX_BYTES = 32 * 1024 * 1024;
const SOMAXCONN_LIMIT = 65535;
const WSCALE_MAX = 14;

/** "127.0.0.1:6379", "[::1]:80": how messages name a socket's ends. */
export function inetEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** "TCP 127.0.0.1:6379 <-> 127.0.0.1:40000" (the remote end only when connected). */
export function inetSocketName(s: InetSocket): string {
  const type = INET_TYPES[s.type as 1 | 2] ?? `type ${s.type}`;
  const local = inetEndpoint(s.localAddress || (s.family === 10 ? '::' : '0.0.0.0'), s.localPort);
  return s.remoteAddress ? `${type} ${local} <-> ${inetEndpoint(s.remoteAddress, s.remotePort)}` : `${type} ${local}`;
}

function checkAddress(family: number, address: string, field: string): void {
  const ok = family === 2 ? isIPv4(address) : isIPv6(address);
  if (!ok) fail(`${field} ${JSON.stringify(address)} is not an ${family === 2 ? 'IPv4' : 'IPv6'} address`);
}

function checkPort(port: number, field: string, allowZero: boolean): void {
  if (port > 65535 || (!allowZero && port === 0)) fail(`${field} ${port} is not a port (${allowZero ? 0 : 1}..65535)`);
}

function checkStream(t: TcpStream): void {
  checkNotEmpty(t.lock, 'stream.lock');
  if (!/^[A-Za-z0-9_-]+$/.test(t.lock)) fail(`stream.lock ${JSON.stringify(t.lock)} is not a lock name`);
  if (t.sendQueue.length > QUEUE_MAX_BYTES) fail(`stream.send_queue of ${t.sendQueue.length} bytes is larger than a socket holds`);
  if (t.receiveQueue.length > QUEUE_MAX_BYTES) fail(`stream.receive_queue of ${t.receiveQueue.length} bytes is larger than a socket holds`);
  if (t.unsent > t.sendQueue.length) fail(`stream.unsent ${t.unsent} exceeds the ${t.sendQueue.length} bytes of stream.send_queue`);
  if (t.mss === 0 || t.mss > 65535) fail(`stream.mss ${t.mss} is not a segment size (1..65535)`);
  if (t.options & ~TCPI_OPTS) fail(`stream.options 0x${t.options.toString(16)} are not TCP options`);
  if (t.sendWscale > WSCALE_MAX || t.receiveWscale > WSCALE_MAX) fail(`stream window scales ${t.sendWscale}/${t.receiveWscale} exceed ${WSCALE_MAX}`);
}

export function validateInetSocket(s: InetSocket): void {
  checkNotEmpty(s.id, 'id');
  if (!(s.family in INET_FAMILIES)) fail(`family ${s.family} is not AF_INET (2) or AF_INET6 (10)`);
  if (!(s.type in INET_TYPES)) fail(`type ${s.type} is not SOCK_STREAM (1) or SOCK_DGRAM (2)`);
  const states: number[] = s.type === 1 ? [1, 7, 10] : [1, 7];
  if (!states.includes(s.state)) fail(`state ${s.state} is not one of ${states.join(', ')} for a ${INET_TYPES[s.type as 1 | 2]} socket`);
  if (s.flags & ~(O_NONBLOCK | O_RDWR)) fail(`flags 0o${s.flags.toString(8)} are not socket file flags`);
  if (s.bound || s.localAddress !== '') checkAddress(s.family, s.localAddress, 'local_address');
  checkPort(s.localPort, 'local_port', !s.bound);
  const connected = s.state === INET_STATE.ESTABLISHED;
  if (connected) {
    checkAddress(s.family, s.remoteAddress, 'remote_address');
    checkPort(s.remotePort, 'remote_port', false);
  } else if (s.remoteAddress !== '' || s.remotePort !== 0) {
    fail(`remote ${inetEndpoint(s.remoteAddress, s.remotePort)} given for a socket that is not connected`);
  }
  if (s.state === INET_STATE.LISTEN && (s.backlog === 0 || s.backlog > SOMAXCONN_LIMIT)) fail(`backlog ${s.backlog} is not a listen backlog (1..${SOMAXCONN_LIMIT})`);
  if (s.sendBuffer > 2 * QUEUE_MAX_BYTES || s.receiveBuffer > 2 * QUEUE_MAX_BYTES) fail(`buffer sizes ${s.sendBuffer}/${s.receiveBuffer} exceed ${2 * QUEUE_MAX_BYTES}`);
  if (s.v6Only && s.family !== 10) fail('v6_only is set on an IPv4 socket');
  const tcpConnected = connected && s.type === 1;
  if (tcpConnected) checkStream(s.stream);
  else if (s.stream.lock !== '' || s.stream.sendQueue.length > 0 || s.stream.receiveQueue.length > 0) fail('stream state given for a socket that is not an established TCP connection');
}
