import type { Command } from 'commander';
import { connectNats, natsConfig, type NatsConnection } from '@ferry/transport';
import { config } from './config.js';

/** The --nats flag every command of the distributed mode takes. */
export function natsOption(cmd: Command): Command {
  return cmd.option('--nats <url>', 'NATS server, nats://[user:password@]host:port (default: $FERRY_NATS_URL, else nats://127.0.0.1:4222; credentials also from FERRY_NATS_USER/FERRY_NATS_PASSWORD or FERRY_NATS_TOKEN)');
}

/** Runs WORK with a connection that fails at once rather than retrying, and is closed afterwards. */
export async function withNats<T>(o: { nats?: string }, work: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connectNats(natsConfig({ url: o.nats }, config.natsEnv), { name: 'ferry' });
  try {
    return await work(nc);
  } finally {
    await nc.close().catch(() => {});
  }
}
