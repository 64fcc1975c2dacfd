import fs from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchCheckpoint } from '@ferry/transport';
import { withNats } from './nats-options.js';

/** The image directory `ferry restore` reads, and what to remove once the restore is done with it. */
export interface RestoreSource {
  dir: string;
  /** A copy made for this restore (fetched): its pages may be freed as they go in (consumePages). */
  disposable: boolean;
  cleanup(): Promise<void>;
}

/** Where an agent fetches checkpoints: its own, so that what a killed agent left can be removed at its start. */
export function agentWorkDir(host: string): string {
  return path.join(os.tmpdir(), `ferry-agent-${host}`);
}

/**
 * -D DIR as it is, or --checkpoint ID fetched from the image server into a private directory
 * first: the restore then runs the local path, which verifies the whole image before acting.
 * PAGES_FILE: the checkpoint's pages, received here already (a migration's target); it is moved
 * into the image, or removed if the fetch fails.
 */
export async function restoreSource(o: { imagesDir?: string; checkpoint?: string; nats?: string; workDir?: string; pagesFile?: string }): Promise<RestoreSource> {
  if (o.imagesDir !== undefined && o.checkpoint !== undefined) throw new Error('-D and --checkpoint exclude each other: give one');
  if (o.imagesDir !== undefined) return { dir: o.imagesDir, disposable: false, cleanup: async () => {} };
  if (o.checkpoint === undefined) throw new Error('from where? give -D DIR (a local image directory) or --checkpoint ID (from the image server)');
  const parent = o.workDir ?? os.tmpdir();
  await fs.mkdir(parent, { recursive: true });
  const dir = await fs.mkdtemp(path.join(parent, 'ferry-restore-'));
  const removeNow = () => rmSync(dir, { recursive: true, force: true });
  // A failed restore exits from its error handler: the fetched copy goes with the process.
  process.once('exit', removeNow);
  const cleanup = async () => {
    process.removeListener('exit', removeNow);
    await fs.rm(dir, { recursive: true, force: true });
  };
  try {
    await withNats(o, (nc) => fetchCheckpoint(nc, o.checkpoint!, path.join(dir, 'image'), { pagesFile: o.pagesFile }));
  } catch (e) {
    await cleanup();
    if (o.pagesFile) await fs.rm(o.pagesFile, { force: true });
    throw e;
  }
  return { dir: path.join(dir, 'image'), disposable: true, cleanup };
}
