import fs from 'node:fs/promises';
import path from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { PAGES_FILE, RECORDS_FILE, writeAll } from '@ferry/proto';
import { receivePages } from './page-stream.js';
import { checkCheckpointId, CHUNK_BYTES, subjects, type CheckpointSummary, type FetchReply, type Part, type ReadRequest } from './protocol.js';
import { request, requestJson } from './rpc.js';

/** Chunks asked for at once while fetching. */
const READ_WINDOW = 8;

export function listCheckpoints(nc: NatsConnection): Promise<CheckpointSummary[]> {
  return requestJson<CheckpointSummary[]>(nc, subjects.list, {});
}

export function showCheckpoint(nc: NatsConnection, checkpointId: string): Promise<CheckpointSummary> {
  checkCheckpointId(checkpointId);
  return requestJson<CheckpointSummary>(nc, subjects.show, { checkpointId });
}

export async function deleteCheckpoint(nc: NatsConnection, checkpointId: string): Promise<void> {
  checkCheckpointId(checkpointId);
  await requestJson(nc, subjects.delete, { checkpointId });
}

export interface FetchOptions {
  /**
   * The checkpoint's pages, already here (a migration's target received them from the dumper):
   * moved into the image (same filesystem), only the records are fetched.
   */
  pagesFile?: string;
}

/**
 * Copies a committed checkpoint from the image server into INTO_DIR (created, must not hold an
 * image) as a local image directory. Nothing is trusted here: the restorer loads it with
 * loadLocalImage, which verifies the chain, the commit and every page's crc before it acts, so
 * the existing local restore path restores remote checkpoints unchanged.
 */
export async function fetchCheckpoint(nc: NatsConnection, checkpointId: string, intoDir: string, o: FetchOptions = {}): Promise<CheckpointSummary> {
  const summary = await showCheckpoint(nc, checkpointId);
  if (!summary.committed) throw new Error(`checkpoint ${checkpointId} is not committed (its dump has not finished): it cannot be restored`);
  if (summary.pagesHeldBy && !o.pagesFile) throw new Error(`checkpoint ${checkpointId} cannot be restored from the image server: its pages went straight to host ${summary.pagesHeldBy} in its migration, and only its records were stored`);
  await fs.mkdir(intoDir, { recursive: true });
  await fetchPart(nc, checkpointId, 'records', summary.recordBytes, path.join(intoDir, RECORDS_FILE));
  const pages = path.join(intoDir, PAGES_FILE);
  if (o.pagesFile) {
    // Whether they are the right bytes is the restore's check (each run's crc from the records).
    await fs.rename(o.pagesFile, pages);
    return summary;
  }
  // Over the server's page stream when it offers one we can reach, else over NATS.
  const { pageStream } = await requestJson<FetchReply>(nc, subjects.fetch, { checkpointId });
  const streamed = pageStream && (await receivePages(pageStream, { checkpointId, token: pageStream.token }, pages, summary.pageBytes).catch((e: Error) => {
    throw new Error(`fetching checkpoint ${checkpointId}: ${e.message}`);
  }));
  if (!streamed) await fetchPart(nc, checkpointId, 'pages', summary.pageBytes, pages);
  return summary;
}

async function fetchPart(nc: NatsConnection, checkpointId: string, part: Part, length: number, file: string): Promise<void> {
  const out = await fs.open(file, 'wx');
  try {
    const offsets: number[] = [];
    for (let at = 0; at < length; at += CHUNK_BYTES) offsets.push(at);
    // Each reply is written as soon as it arrives; at most READ_WINDOW requests are out at once.
    let next = 0;
    const worker = async () => {
      while (next < offsets.length) {
        const offset = offsets[next++]!;
        const ask: ReadRequest = { checkpointId, part, offset, length: Math.min(CHUNK_BYTES, length - offset) };
        const reply = await request(nc, subjects.read, JSON.stringify(ask));
        if (reply.data.length !== ask.length) throw new Error(`the image server sent ${reply.data.length} bytes of ${part} at ${offset}, not ${ask.length}`);
        await writeAll(out, reply.data, offset);
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_WINDOW, offsets.length) }, worker));
  } finally {
    await out.close();
  }
}
