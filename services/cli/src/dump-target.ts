import type { DumpOptions, DumpSummary } from '@ferry/dumper';
import { natsOf } from './config.js';

export interface DumpTargetFlags {
  imagesDir?: string;
  imageServer?: boolean;
  nats?: string;
  name?: string;
  keepLast?: number;
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
  const { imageServerSink } = await import('@ferry/agent/checkpoint-io');
  const sink = await imageServerSink({ nats: natsOf(o.nats), name: o.name, keepLast: o.keepLast });
  return {
    options: { openSink: sink.openSink },
    // The id is what `ferry restore --checkpoint` takes.
    done: (summary) => process.stdout.write(`${summary.checkpointId}\n`),
    close: sink.close,
  };
}
