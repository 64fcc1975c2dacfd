import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsConfig } from './nats-config.js';

export interface ConnectOptions {
  /** Long-running services reconnect when NATS comes back; a command fails at once instead. */
  reconnect?: boolean;
  name?: string;
}

/** Connects, turning the client's errors into one line that says what to check. */
export async function connectNats(config: NatsConfig, options: ConnectOptions = {}): Promise<NatsConnection> {
  try {
    return await connect({
      servers: config.server,
      user: config.user,
      pass: config.pass,
      token: config.token,
      name: options.name,
      timeout: 3000,
      reconnect: options.reconnect ?? false,
      maxReconnectAttempts: options.reconnect ? -1 : 0,
    });
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${config.shown}: ${whyNot(e as Error, config)}`, { cause: e });
  }
}

function whyNot(e: Error, config: NatsConfig): string {
  if (e.name === 'AuthorizationError' || /authorization/i.test(e.message)) {
    const used = config.user ? `user ${config.user} and its password` : config.token ? 'the token' : 'no credentials';
    return `authorization failed (${used}; see FERRY_NATS_USER, FERRY_NATS_PASSWORD, FERRY_NATS_TOKEN)`;
  }
  return e.message;
}
