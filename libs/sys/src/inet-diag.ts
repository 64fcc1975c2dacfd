import { AF_INET, AF_INET6, ipv6Text } from './socket.js';
import { diagRequest, sockDiagDump, NLMSG_HEADER } from './sock-diag.js';

// The kernel's TCP sockets of this network namespace in a given state, through sock_diag netlink
// (INET_DIAG): every connection's ends at once, where getsockname and getpeername ask one socket.
const IPPROTO_TCP = 6;
const REQUEST_BODY = 56; // struct inet_diag_req_v2
const MSG = { FAMILY: 0, STATE: 1, SPORT: 4, DPORT: 6, SRC: 8, DST: 24, INODE: 68, SIZE: 72 } as const;

export interface InetDiag {
  ino: number;
  family: number;
  state: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

function request(family: number, states: number): Buffer {
  const req = diagRequest(REQUEST_BODY);
  req.writeUInt8(family, NLMSG_HEADER);
  req.writeUInt8(IPPROTO_TCP, NLMSG_HEADER + 1);
  req.writeUInt32LE(states >>> 0, NLMSG_HEADER + 4);
  return req;
}

function addressText(family: number, bytes: Buffer): string {
  return family === AF_INET ? [...bytes.subarray(0, 4)].join('.') : ipv6Text(bytes);
}

function parseMessage(msg: Buffer): InetDiag {
  const family = msg.readUInt8(MSG.FAMILY);
  return {
    ino: msg.readUInt32LE(MSG.INODE),
    family,
    state: msg.readUInt8(MSG.STATE),
    localAddress: addressText(family, msg.subarray(MSG.SRC, MSG.SRC + 16)),
    localPort: msg.readUInt16BE(MSG.SPORT),
    remoteAddress: addressText(family, msg.subarray(MSG.DST, MSG.DST + 16)),
    remotePort: msg.readUInt16BE(MSG.DPORT),
  };
}

/** The TCP sockets (IPv4 and IPv6) in one of STATES (the TCP_* numbers), by inode. */
export function tcpSockets(states: readonly number[]): Map<number, InetDiag> {
  const mask = states.reduce((m, s) => m | (1 << s), 0);
  const found = new Map<number, InetDiag>();
  for (const family of [AF_INET, AF_INET6]) {
    sockDiagDump(request(family, mask), `TCP sockets of family ${family}`, (msg) => {
      if (msg.length < MSG.SIZE) return;
      const d = parseMessage(msg);
      found.set(d.ino, d);
    });
  }
  return found;
}
