import type { NatsConnection } from '@nats-io/transport-node';
import { PageStreamWriter } from './page-stream.js';
import { agentSubjects, ERROR_HEADER, type AgentPagesRequest, type PageStreamOffer } from './protocol.js';

/**
 * The offer is asked for before the freeze, so waiting costs the tree nothing; the agent makes
 * room for the pages before it answers, seconds for a large tree on a busy host (2 GiB took 2.5 s
 * here). An agent that is not there is known at once (no responders).
 */
const OFFER_TIMEOUT_MS = 60_000;

/** A page stream to HOST's agent for CHECKPOINT_ID; an Error says why there is none. */
export async function pagesToAgent(nc: NatsConnection, host: string, checkpointId: string, expectedBytes?: number): Promise<PageStreamWriter> {
  const offer = await ask<PageStreamOffer>(nc, host, { checkpointId, expectedBytes });
  try {
    return await PageStreamWriter.connect(offer, { checkpointId, token: offer.token }, `the agent of host ${host}`);
  } catch (e) {
    await cancelPagesToAgent(nc, host, checkpointId);
    throw e;
  }
}

/** Best effort: an agent that does not hear it removes the pages once no restore took them. */
export async function cancelPagesToAgent(nc: NatsConnection, host: string, checkpointId: string): Promise<void> {
  await ask(nc, host, { checkpointId, cancel: true }).catch(() => {});
}

async function ask<T>(nc: NatsConnection, host: string, request: AgentPagesRequest): Promise<T> {
  let reply;
  try {
    reply = await nc.request(agentSubjects.pages(host), JSON.stringify(request), { timeout: OFFER_TIMEOUT_MS });
  } catch (e) {
    const why = /no responders/i.test((e as Error).message) ? 'it offers no page stream (nobody answers on NATS)' : /timeout/i.test((e as Error).message) ? `no answer within ${OFFER_TIMEOUT_MS / 1000} s` : (e as Error).message;
    throw new Error(`the agent of host ${host}: ${why}`, { cause: e });
  }
  const refused = reply.headers?.get(ERROR_HEADER);
  if (refused) throw new Error(`the agent of host ${host} refused: ${refused}`);
  return reply.json<T>();
}
