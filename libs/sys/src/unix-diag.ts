import { AF_UNIX } from './socket.js';
import { diagRequest, forEachAttribute, sockDiagDump, NLMSG_HEADER } from './sock-diag.js';

// The kernel's view of every AF_UNIX socket of this network namespace, through sock_diag netlink
// (UNIX_DIAG): what /proc/PID/fd cannot tell about a socket (its peer, its accept queue, its
// shutdown state, how much is queued).
const UDIAG_SHOW = { NAME: 1, VFS: 2, PEER: 4, ICONS: 8, RQLEN: 0x10, MEMINFO: 0x20 } as const;
const UNIX_DIAG = { NAME: 0, VFS: 1, PEER: 2, ICONS: 3, RQLEN: 4, MEMINFO: 5, SHUTDOWN: 6 } as const;
const SK_MEMINFO = { RCVBUF: 1, SNDBUF: 3 } as const;
const DIAG_MSG = 16;

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
  /** SO_RCVBUF and SO_SNDBUF as getsockopt gives them (sk_rcvbuf, sk_sndbuf); 0 when the kernel did not say. */
  rcvbuf: number;
  sndbuf: number;
}

function request(): Buffer {
  const req = diagRequest(24);
  req.writeUInt8(AF_UNIX, NLMSG_HEADER);
  req.writeUInt32LE(0xffffffff, NLMSG_HEADER + 4); // every state
  req.writeUInt32LE(UDIAG_SHOW.NAME | UDIAG_SHOW.VFS | UDIAG_SHOW.PEER | UDIAG_SHOW.ICONS | UDIAG_SHOW.RQLEN | UDIAG_SHOW.MEMINFO, NLMSG_HEADER + 12);
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
    name: Buffer.alloc(0), vfs: null, peer: 0, waiting: [], rqueue: 0, wqueue: 0, shutdown: 0, rcvbuf: 0, sndbuf: 0,
  };
  forEachAttribute(msg, DIAG_MSG, (type, value) => {
    if (type === UNIX_DIAG.NAME) d.name = pathOrAbstract(value);
    else if (type === UNIX_DIAG.VFS) d.vfs = { ino: value.readUInt32LE(0), dev: value.readUInt32LE(4) };
    else if (type === UNIX_DIAG.PEER) d.peer = value.readUInt32LE(0);
    else if (type === UNIX_DIAG.ICONS) for (let i = 0; i + 4 <= value.length; i += 4) d.waiting.push(value.readUInt32LE(i));
    else if (type === UNIX_DIAG.RQLEN) { d.rqueue = value.readUInt32LE(0); d.wqueue = value.readUInt32LE(4); }
    else if (type === UNIX_DIAG.MEMINFO && value.length >= 4 * (SK_MEMINFO.SNDBUF + 1)) {
      d.rcvbuf = value.readUInt32LE(4 * SK_MEMINFO.RCVBUF);
      d.sndbuf = value.readUInt32LE(4 * SK_MEMINFO.SNDBUF);
    } else if (type === UNIX_DIAG.SHUTDOWN) d.shutdown = value.readUInt8(0);
  });
  return d;
}

/** Every AF_UNIX socket the kernel knows in ferry's network namespace, by inode. */
export function unixSockets(): Map<number, UnixDiag> {
  const found = new Map<number, UnixDiag>();
  sockDiagDump(request(), 'unix sockets', (msg) => {
    const d = parseMessage(msg);
    found.set(d.ino, d);
  });
  return found;
}
