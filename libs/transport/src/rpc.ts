import { headers as natsHeaders, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { ERROR_HEADER, REQUEST_TIMEOUT_MS } from './protocol.js';

/** Long enough for the server to fsync a chunk on a busy disk. */
const NO_RESPONDERS_GRACE_MS = 3000;

/**
 * One request to the image server; its error reply, or its absence, becomes an Error saying so.
 * `data` is not copied by the client: it must not change until the promise settles.
 */
export async function request(nc: NatsConnection, subject: string, data: Uint8Array | string, headers: Record<string, string> = {}): Promise<Msg> {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(headers)) h.set(k, v);
  let reply: Msg | undefined;
  // An image server that is reconnecting to NATS has no subscription for a moment: ask again a
  // few times before saying nobody serves.
  for (const started = Date.now(); !reply; ) {
    try {
      reply = await nc.request(subject, data, { timeout: REQUEST_TIMEOUT_MS, headers: h });
    } catch (e) {
      if (!/no responders/i.test((e as Error).message) || Date.now() - started > NO_RESPONDERS_GRACE_MS) throw new Error(noAnswer(e as Error, nc), { cause: e });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const error = reply.headers?.get(ERROR_HEADER);
  if (error) throw new Error(`the image server refused: ${error}`);
  return reply;
}

export async function requestJson<T>(nc: NatsConnection, subject: string, body: unknown): Promise<T> {
  const reply = await request(nc, subject, JSON.stringify(body ?? {}));
  return reply.json<T>();
}

function noAnswer(e: Error, nc: NatsConnection): string {
  const cause = (e.cause as Error | undefined) ?? e;
  // The client wraps its reasons (RequestError around NoRespondersError...): the messages tell them apart.
  if (/no responders/i.test(e.message)) return 'no image server is running (nobody answers on NATS)';
  if (/timeout/i.test(e.message) || /timeout/i.test(cause.message)) return `the image server did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  if (nc.isClosed()) return `lost the connection to NATS (${cause.message})`;
  return `request to the image server failed: ${cause.message}`;
}
