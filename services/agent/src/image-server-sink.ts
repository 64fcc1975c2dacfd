import type { DumpOptions } from '@ferry/dumper';
import { openNatsSink } from '@ferry/transport';
import { connectTo } from './nats.js';
import type { NatsSettings } from './options.js';

export interface ImageServerSinkOptions {
  nats: NatsSettings;
  /** The workload the checkpoint belongs to (default host:pid:exe), the last KEEP_LAST of it kept. */
  name?: string;
  keepLast?: number;
  /** A migration's target host: its agent receives the pages (see openNatsSink). */
  pagesTo?: string;
  /** Told why the pages could not go to `pagesTo` (they go to the image server then). */
  onPagesFallback?: (why: string) => void;
}

export interface ImageServerSink {
  openSink: NonNullable<DumpOptions['openSink']>;
  close(): Promise<void>;
}

/** A dump's way to the image server, over NATS. */
export async function imageServerSink(o: ImageServerSinkOptions): Promise<ImageServerSink> {
  // Connected before anything is frozen: a NATS that cannot be reached fails the dump untouched.
  const nc = await connectTo(o.nats, { name: 'ferry dump' });
  return {
    openSink: (inventory, expectedPageBytes) => openNatsSink(nc, inventory, {
      workload: o.name,
      keepLast: o.keepLast,
      pagesTo: o.pagesTo,
      onPagesFallback: o.onPagesFallback,
      // The receiver makes room for about this much before the tree is frozen.
      expectedPageBytes,
    }),
    close: () => nc.close().catch(() => {}),
  };
}
