import fs from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fetchCheckpoint } from '@ferry/transport';
import { withNats } from './nats.js';
import type { NatsSettings } from './options.js';

/** A checkpoint of the image server copied into a local image directory, removed by cleanup(). */
export interface FetchedCheckpoint {
  dir: string;
  cleanup(): Promise<void>;
}

/**
 * CHECKPOINT_ID fetched from the image server into a private directory under WORK_DIR (default
 * the temporary directory): a restore then runs the local path, which verifies the whole image
 * before acting. PAGES_FILE: the checkpoint's pages, received here already (a migration's target);
 * it is moved into the image, or removed if the fetch fails.
 */
export async function fetchCheckpointCopy(o: { checkpointId: string; nats: NatsSettings; workDir?: string; pagesFile?: string }): Promise<FetchedCheckpoint> {
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
    await withNats(o.nats, (nc) => fetchCheckpoint(nc, o.checkpointId, path.join(dir, 'image'), { pagesFile: o.pagesFile }));
  } catch (e) {
    await cleanup();
    if (o.pagesFile) await fs.rm(o.pagesFile, { force: true });
    throw e;
  }
  return { dir: path.join(dir, 'image'), cleanup };
}
