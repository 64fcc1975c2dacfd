import { headers, type Msg } from '@nats-io/transport-node';
import { ERROR_HEADER } from './protocol.js';

// The server's side of rpc.ts: a reply is data, JSON, or an error in a header with no body.

export function respondJson(msg: Msg, body: unknown): void {
  msg.respond(JSON.stringify(body ?? {}));
}

export function respondData(msg: Msg, data: Uint8Array): void {
  msg.respond(data);
}

export function respondError(msg: Msg, reason: string): void {
  const h = headers();
  // Header values are one line.
  h.set(ERROR_HEADER, reason.replace(/[\r\n]+/g, ' '));
  msg.respond('', { headers: h });
}
