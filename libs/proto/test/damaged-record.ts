// An image whose one record of a kind is damaged but whose chain is whole: loading it must refuse
// that record by name, as a restore would before making anything.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { encodePayload, ImageError, loadLocalImage, PAGES_FILE, RECORDS_FILE, type KindName, type KindPayloads } from '../src/index.js';
import { rawStream, SAMPLES, tempDir } from './fixtures.js';

export async function assertImageRefuses<K extends KindName>(kind: K, objectId: string, payload: KindPayloads[K], cause: string): Promise<void> {
  const dir = tempDir('damaged');
  try {
    fs.writeFileSync(path.join(dir, RECORDS_FILE), rawStream([
      { kind: 'inventory', objectId: 'inventory', payload: encodePayload('inventory', SAMPLES.inventory) },
      { kind, objectId, payload: encodePayload(kind, payload) },
      { kind: 'commit', objectId: 'commit', payload: encodePayload('commit', { recordCount: 2n, kindCounts: { inventory: 1n, [kind]: 1n }, pageBytes: 0n }) },
    ]));
    fs.writeFileSync(path.join(dir, PAGES_FILE), '');
    await assert.rejects(loadLocalImage(dir), (e: Error) => e instanceof ImageError && e.message === `records.log: record 1 (${kind} ${objectId}): ${cause}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
