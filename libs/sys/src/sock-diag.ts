import fs from 'node:fs';
import { AF_NETLINK, SOCK_CLOEXEC, SOCK_DGRAM, socket, sendBytes, receiveBytes } from './socket.js';

// One sock_diag netlink dump (SOCK_DIAG_BY_FAMILY): the kernel answers for every socket of a
// family in ferry's network namespace at once, which per-socket getsockopt calls cannot match.
const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
export const NLM_F_REQUEST = 1, NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2, NLMSG_DONE = 3;
export const NLMSG_HEADER = 16;

/** A netlink request of BODY_BYTES after its header, the header filled in; the body is left to the caller. */
export function diagRequest(bodyBytes: number): Buffer {
  const req = Buffer.alloc(NLMSG_HEADER + bodyBytes);
  req.writeUInt32LE(req.length, 0);
  req.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
  req.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
  req.writeUInt32LE(1, 8);
  return req;
}

/** Each attribute (type, value) of a diag message from AT on. */
export function forEachAttribute(msg: Buffer, at: number, each: (type: number, value: Buffer) => void): void {
  while (at + 4 <= msg.length) {
    const len = msg.readUInt16LE(at), type = msg.readUInt16LE(at + 2);
    if (len < 4) break;
    each(type, msg.subarray(at + 4, at + len));
    at += (len + 3) & ~3;
  }
}

/** Sends REQUEST and hands each message of the answer (header stripped) to EACH; WHAT names the dump in errors. */
export function sockDiagDump(request: Buffer, what: string, each: (msg: Buffer) => void): void {
  const nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  try {
    if (sendBytes(nl, request) < 0) throw new Error(`sock_diag request for ${what} could not be sent`);
    const buf = Buffer.alloc(64 << 10);
    for (;;) {
      const got = receiveBytes(nl, buf, 0);
      if (!got) throw new Error(`sock_diag answer for ${what} did not come`);
      for (let at = 0; at + NLMSG_HEADER <= got.length; ) {
        const len = buf.readUInt32LE(at), type = buf.readUInt16LE(at + 4);
        if (type === NLMSG_DONE) return;
        if (type === NLMSG_ERROR) throw new Error(`sock_diag of ${what} failed: errno ${-buf.readInt32LE(at + NLMSG_HEADER)}`);
        if (len < NLMSG_HEADER) throw new Error(`sock_diag of ${what} answered a malformed message`);
        each(buf.subarray(at + NLMSG_HEADER, at + len));
        at += (len + 3) & ~3;
      }
    }
  } finally {
    fs.closeSync(nl);
  }
}
