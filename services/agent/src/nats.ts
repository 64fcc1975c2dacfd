import { connectNats, natsConfig, type NatsConnection } from '@ferry/transport';
import type { NatsSettings } from './options.js';

export function connectTo(nats: NatsSettings, o: { name: string; reconnect?: boolean }): Promise<NatsConnection> {
  return connectNats(natsConfig({ url: nats.url }, nats.env), o);
}

/** Runs WORK with a connection that fails at once rather than retrying, and is closed afterwards. */
export async function withNats<T>(nats: NatsSettings, work: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectTo(nats, { name: 'ferry' });
  try {
    return await work(nc);
  } finally {
    await nc.close().catch(() => {});
  }
}
