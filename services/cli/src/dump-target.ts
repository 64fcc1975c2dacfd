import type { DumpOptions, DumpSummary } from '@ferry/dumper';
import { connectNats, natsConfig, openNatsSink, type NatsConnection } from '@ferry/transport';
import { config } from './config.js';

export interface DumpTargetFlags {
  imagesDir?: string;
  imageServer?: boolean;
  nats?: string;
  name?: string;
  keepLast?: number;
  /** A migration's target host: its agent receives the pages (see openNatsSink). */
  pagesTo?: string;
  /** Told why the pages could not go to `pagesTo` (they go to the image server then). */
  onPagesFallback?: (why: string) => void;
}

/** Where `ferry dump` writes: DumpOptions for it, what to print once it is done, and what to close. */
export interface DumpTarget {
  options: Pick<DumpOptions, 'dir' | 'openSink'>;
  done(summary: DumpSummary): void;
  close(): Promise<void>;
}

export async function dumpTarget(o: DumpTargetFlags): Promise<DumpTarget> {
  if (o.imagesDir !== undefined && o.imageServer) throw new Error('-D and --image-server exclude each other: give one');
  if (o.imagesDir !== undefined) return { options: { dir: o.imagesDir }, done: () => {}, close: async () => {} };
  if (!o.imageServer) throw new Error('where to? give -D DIR (a local image directory) or --image-server');
  // Connected before anything is frozen: a NATS that cannot be reached fails the dump untouched.
  const nc: NatsConnection = await connectNats(natsConfig({ url: o.nats }, config.natsEnv), { name: 'ferry dump' });
  return {
    options: {
      openSink: (inventory, expectedPageBytes) => openNatsSink(nc, inventory, {
        workload: o.name,
        keepLast: o.keepLast,
        pagesTo: o.pagesTo,
        onPagesFallback: o.onPagesFallback,
        // The receiver makes room for about this much before the tree is frozen.
        expectedPageBytes,
      }),
    },
    // The id is what `ferry restore --checkpoint` takes.
    done: (summary) => process.stdout.write(`${summary.checkpointId}\n`),
    close: () => nc.close().catch(() => {}),
  };
}
