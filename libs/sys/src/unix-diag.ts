import fs from 'node:fs';
import { AF_NETLINK, AF_UNIX, SOCK_CLOEXEC, SOCK_DGRAM, socket, sendBytes, receiveBytes } from './socket.js';

// The kernel's view of every AF_UNIX socket of this network namespace, through sock_diag netlink
// (UNIX_DIAG): what /proc/PID/fd cannot tell about a socket (its peer, its accept queue, its
// shutdown state, how much is queued).
const NETLINK_SOCK_DIAG = 4, SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 1, NLM_F_DUMP = 0x300, NLMSG_ERROR = 2, NLMSG_DONE = 3;
const UDIAG_SHOW = { NAME: 1, VFS: 2, PEER: 4, ICONS: 8, RQLEN: 0x10 } as const;
const UNIX_DIAG = { NAME: 0, VFS: 1, PEER: 2, ICONS: 3, RQLEN: 4, SHUTDOWN: 6 } as const;
const NLMSG_HEADER = 16, DIAG_MSG = 16;

export const TCP_ESTABLISHED = 1, TCP_CLOSE = 7, TCP_LISTEN = 10;

export interface UnixDiag {
  ino: number;
  type: number;
  /** TCP_ESTABLISHED (connected), TCP_CLOSE (not connected) or TCP_LISTEN. */
  state: number;
  /** The bound address (sun_path bytes, abstract when it starts with NUL); empty when unbound. */
  name: Buffer;
  /** Inode and device of the file a path-bound socket was bound to. */
  vfs: { ino: number; dev: number } | null;
  /** The peer's inode; 0 when there is none or the peer is still in an accept queue. */
  peer: number;
  /** A listener's accept queue, oldest first: the inodes of the connecting sockets. */
  waiting: number[];
  /** A listener: connections waiting and the backlog; others: bytes queued to read and unsent. */
  rqueue: number;
  wqueue: number;
  /** sk_shutdown: 1 receive side shut, 2 send side shut. */
  shutdown: number;
}

function request(): Buffer {
  const req = Buffer.alloc(NLMSG_HEADER + 24);
  req.writeUInt32LE(req.length, 0);
  req.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  req.writeUInt32LE(1, 8);
  req.writeUInt8(AF_UNIX, NLMSG_HEADER);
  req.writeUInt32LE(0xffffffff, NLMSG_HEADER + 4); // every state
  req.writeUInt32LE(UDIAG_SHOW.NAME | UDIAG_SHOW.VFS | UDIAG_SHOW.PEER | UDIAG_SHOW.ICONS | UDIAG_SHOW.RQLEN, NLMSG_HEADER + 12);
  req.writeUInt32LE(0xffffffff, NLMSG_HEADER + 16);
  req.writeUInt32LE(0xffffffff, NLMSG_HEADER + 20);
  return req;
}

/** A path as the kernel keeps it ends with its NUL; an abstract name is exactly its bytes. */
function pathOrAbstract(name: Buffer): Buffer {
  const nul = name[0] === 0 ? -1 : name.indexOf(0);
  return Buffer.from(nul >= 0 ? name.subarray(0, nul) : name);
}

function parseMessage(msg: Buffer): UnixDiag {
  const d: UnixDiag = {
    type: msg.readUInt8(1), state: msg.readUInt8(2), ino: msg.readUInt32LE(4),
    name: Buffer.alloc(0), vfs: null, peer: 0, waiting: [], rqueue: 0, wqueue: 0, shutdown: 0,
  };
  for (let at = DIAG_MSG; at + 4 <= msg.length; ) {
    const len = msg.readUInt16LE(at), type = msg.readUInt16LE(at + 2);
    if (len < 4) break;
    const value = msg.subarray(at + 4, at + len);
    if (type === UNIX_DIAG.NAME) d.name = pathOrAbstract(value);
    else if (type === UNIX_DIAG.VFS) d.vfs = { ino: value.readUInt32LE(0), dev: value.readUInt32LE(4) };
    else if (type === UNIX_DIAG.PEER) d.peer = value.readUInt32LE(0);
    else if (type === UNIX_DIAG.ICONS) for (let i = 0; i + 4 <= value.length; i += 4) d.waiting.push(value.readUInt32LE(i));
    else if (type === UNIX_DIAG.RQLEN) { d.rqueue = value.readUInt32LE(0); d.wqueue = value.readUInt32LE(4); }
    else if (type === UNIX_DIAG.SHUTDOWN) d.shutdown = value.readUInt8(0);
    at += (len + 3) & ~3;
  }
  return d;
}

/** Every AF_UNIX socket the kernel knows in ferry's network namespace, by inode. */
export function unixSockets(): Map<number, UnixDiag> {
  const nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  const found = new Map<number, UnixDiag>();
  try {
    if (sendBytes(nl, request()) < 0) throw new Error('sock_diag request could not be sent');
    const buf = Buffer.alloc(64 << 10);
    for (;;) {
      const got = receiveBytes(nl, buf, 0);
      if (!got) throw new Error('sock_diag answer did not come');
      for (let at = 0; at + NLMSG_HEADER <= got.length; ) {
        const len = buf.readUInt32LE(at), type = buf.readUInt16LE(at + 4);
        if (type === NLMSG_DONE) return found;
        if (type === NLMSG_ERROR) throw new Error(`sock_diag of unix sockets failed: errno ${-buf.readInt32LE(at + NLMSG_HEADER)}`);
        if (len < NLMSG_HEADER) throw new Error('sock_diag answered a malformed message');
        const d = parseMessage(buf.subarray(at + NLMSG_HEADER, at + len));
        found.set(d.ino, d);
        at += (len + 3) & ~3;
      }
    }
  } finally {
    fs.closeSync(nl);
  }
}
