import type { Command } from 'commander';

/** The --nats flag every command of the distributed mode takes. */
export function natsOption(cmd: Command): Command {
  return cmd.option('--nats <url>', 'NATS server, nats://[user:password@]host:port (default: $FERRY_NATS_URL, else nats://127.0.0.1:4222; credentials also from FERRY_NATS_USER/FERRY_NATS_PASSWORD or FERRY_NATS_TOKEN)');
}
