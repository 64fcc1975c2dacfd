import type { Command } from 'commander';
import { config } from './config.js';
import { fail } from './fail.js';
import { natsOption } from './nats-options.js';
import { countArg } from './count-arg.js';
import { pageStreamArg } from './page-stream-arg.js';

/** `ferry image-server --store DIR`: runs until SIGTERM or SIGINT. */
export function registerImageServer(program: Command): void {
  const cmd = program
    .command('image-server')
    .description('store checkpoints sent over NATS and serve them to restorers')
    .requiredOption('--store <dir>', 'directory the checkpoints are kept in, one directory each')
    .option('--idle-timeout <seconds>', 'drop a checkpoint whose dumper sent nothing for this long', countArg, 30)
    .option('--keep-last <n>', 'keep only the last N committed checkpoints of each workload (0: all)', countArg, 0)
    .option('--page-stream <host:port>', 'where dumpers send pages over TCP (port 0: any free one); "off": pages over NATS', '127.0.0.1:0');
  natsOption(cmd).action(async (o) => {
    const log = (line: string) => process.stderr.write(`ferry image-server: ${line}\n`);
    try {
      const [{ CheckpointStore, startImageServer }, { connectNats, natsConfig }] = await Promise.all([import('@ferry/image-server'), import('@ferry/transport')]);
      const store = new CheckpointStore(o.store);
      // Before serving: what a previous run left half-received is never offered.
      for (const id of await store.open()) log(`removed uncommitted checkpoint ${id}`);
      // This one reconnects: NATS restarting must not take the store down with it.
      const nc = await connectNats(natsConfig({ url: o.nats }, config.natsEnv), { name: 'ferry image-server', reconnect: true });
      const server = await startImageServer({ nc, store, idleMs: o.idleTimeout * 1000, keepLast: o.keepLast, log, pageStream: pageStreamArg(o.pageStream) });
      const stop = async () => {
        await server.close();
        await nc.drain().catch(() => {});
        process.exit(0);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await nc.closed();
    } catch (e) {
      fail('image-server', e);
    }
  });
}
