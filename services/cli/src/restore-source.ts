import { natsOf } from './config.js';

/** The image directory `ferry restore` reads, and what to remove once the restore is done with it. */
export interface RestoreSource {
  dir: string;
  /** A copy made for this restore (fetched): its pages may be freed as they go in (consumePages). */
  disposable: boolean;
  cleanup(): Promise<void>;
}

/** -D DIR as it is, or --checkpoint ID fetched from the image server into a private directory first. */
export async function restoreSource(o: { imagesDir?: string; checkpoint?: string; nats?: string }): Promise<RestoreSource> {
  if (o.imagesDir !== undefined && o.checkpoint !== undefined) throw new Error('-D and --checkpoint exclude each other: give one');
  if (o.imagesDir !== undefined) return { dir: o.imagesDir, disposable: false, cleanup: async () => {} };
  if (o.checkpoint === undefined) throw new Error('from where? give -D DIR (a local image directory) or --checkpoint ID (from the image server)');
  const { fetchCheckpointCopy } = await import('@ferry/agent/checkpoint-io');
  const copy = await fetchCheckpointCopy({ checkpointId: o.checkpoint, nats: natsOf(o.nats) });
  return { ...copy, disposable: true };
}
