import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import {
  decodeRecord,
  encodePayload,
  encodeRecord,
  frame,
  ImageError,
  loadLocalImage,
  openLocalSink,
  PAGES_FILE,
  PayloadError,
  RECORDS_FILE,
  type Commit,
  type Image,
  type KindName,
  type KindPayloads,
} from '../src/index.js';
import { frameOffsets, IMAGE_RECORDS, INVENTORY, putRecord, rawStream, SAMPLES, tempDir, type RawRecord } from './fixtures.js';

const PAGE_RUNS = [
  { pid: 100, vaddr: 0x7f0000000000n, data: randomBytes(4096) },
  { pid: 100, vaddr: 0x7f0000002000n, data: randomBytes(2 * 4096) },
  { pid: 100, vaddr: 0x7ffffffde000n, data: randomBytes(16 * 4096) },
];

const scratch = tempDir('image');
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
const freshDir = (): string => path.join(scratch, `d${counter++}`);

/** A complete image: every kind but the ones the sink writes itself, and some pages. */
async function writeImage(dir: string): Promise<Commit> {
  const sink = await openLocalSink(dir, INVENTORY);
  for (const r of IMAGE_RECORDS) await putRecord(sink, r);
  for (const run of PAGE_RUNS) await sink.putPages(run.pid, run.vaddr, run.data);
  return sink.commit();
}

/** A copy of the good image with records.log replaced. */
function withRecords(good: string, records: Buffer): string {
  const dir = freshDir();
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(good, PAGES_FILE), path.join(dir, PAGES_FILE));
  fs.writeFileSync(path.join(dir, RECORDS_FILE), records);
  return dir;
}

async function refused(dir: string, expected: string | RegExp): Promise<void> {
  await assert.rejects(loadLocalImage(dir), (e: Error) => {
    assert.ok(e instanceof ImageError, `not an ImageError: ${e.stack}`);
    if (typeof expected === 'string') assert.equal(e.message, expected);
    else assert.match(e.message, expected);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

describe('local image', () => {
  let good: string;
  let log: Buffer;
  let frames: number[];
  let image: Image;

  before(async () => {
    good = freshDir();
    await writeImage(good);
    log = fs.readFileSync(path.join(good, RECORDS_FILE));
    frames = frameOffsets(log);
    image = await loadLocalImage(good);
  });

  it('round-trips every kind, in order, with a commit that counts them', async () => {
    const kinds = image.records.map((r) => r.kind);
    assert.deepEqual(kinds, ['inventory', ...IMAGE_RECORDS.map((r) => r.kind), 'pages', 'pages', 'pages', 'commit']);
    assert.deepEqual(image.records.map((r) => r.seq), kinds.map((_, i) => i));
    assert.match(image.inventory.checkpointId, /^[0-9a-f-]{36}$/);
    assert.equal(image.checkpointId, image.inventory.checkpointId);
    assert.deepEqual({ ...image.inventory, checkpointId: undefined }, INVENTORY);
    for (const kind of ['pstree', 'procattrs', 'regfile', 'fd', 'signals', 'core', 'mm', 'vma'] as const) {
      assert.deepEqual(image.byKind(kind), IMAGE_RECORDS.filter((r) => r.kind === kind).map((r) => r.payload), kind);
    }
    assert.deepEqual(image.byKind('vma')[0], SAMPLES.vma);
    assert.deepEqual(image.commit, {
      recordCount: BigInt(image.records.length - 1),
      kindCounts: { inventory: 1n, pstree: 1n, procattrs: 1n, regfile: 1n, fd: 1n, signals: 1n, core: 1n, mm: 1n, vma: 2n, pages: 3n },
      pageBytes: 19n * 4096n,
    });
    assert.equal(image.pageStorePath, path.join(path.resolve(good), PAGES_FILE));
    assert.ok(path.isAbsolute(image.pageStorePath));
    assert.deepEqual(image.records[0]!.objectId, 'inventory');
  });

  it('stores pages at increasing offsets with their crc32, and reads them back', async () => {
    const pages = image.byKind('pages');
    let offset = 0n;
    for (const [i, run] of PAGE_RUNS.entries()) {
      const p = pages[i]!;
      assert.deepEqual(p, { pid: run.pid, vaddr: run.vaddr, npages: run.data.length / 4096, offset, crc32: zlib.crc32(run.data) });
      assert.deepEqual(await image.readPages(p), run.data);
      offset += BigInt(run.data.length);
    }
    assert.equal(fs.statSync(image.pageStorePath).size, Number(offset));
    assert.deepEqual(image.records.filter((r) => r.kind === 'pages').map((r) => r.objectId), ['pages:100:7f0000000000', 'pages:100:7f0000002000', 'pages:100:7ffffffde000']);
  });

  it('lets the caller reuse its page buffer once putPages resolves', async () => {
    const dir = freshDir();
    const sink = await openLocalSink(dir, { ...INVENTORY, checkpointId: 'reuse' });
    const buf = Buffer.alloc(3 * 4096, 0xaa);
    await sink.putPages(100, 0x1000n, buf);
    buf.fill(0x55);
    await sink.putPages(100, 0x10000n, buf);
    const commit = await sink.commit();
    assert.equal(commit.pageBytes, 6n * 4096n);
    const img = await loadLocalImage(dir);
    assert.equal(img.checkpointId, 'reuse');
    const [a, b] = img.byKind('pages');
    assert.deepEqual(await img.readPages(a!), Buffer.alloc(3 * 4096, 0xaa));
    assert.deepEqual(await img.readPages(b!), Buffer.alloc(3 * 4096, 0x55));
  });

  it('takes thousands of puts in flight and a 24 MiB page store', async () => {
    const dir = freshDir();
    const sink = await openLocalSink(dir, INVENTORY);
    const data = randomBytes(4 << 20);
    const puts: Promise<void>[] = [];
    for (let i = 0; i < 5000; i++) puts.push(sink.put('vma', `vma:100:${(0x10000 + i * 0x1000).toString(16)}`, { ...SAMPLES.vma, start: BigInt(0x10000 + i * 0x1000), end: BigInt(0x11000 + i * 0x1000) }));
    await Promise.all(puts);
    for (let i = 0; i < 6; i++) await sink.putPages(100, 0x10000000n + BigInt(i) * BigInt(data.length), data);
    await sink.commit();
    const img = await loadLocalImage(dir);
    assert.equal(img.byKind('vma').length, 5000);
    assert.equal(img.commit.pageBytes, 24n << 20n);
  });

  it('refuses a directory that already holds a checkpoint', async () => {
    await assert.rejects(openLocalSink(good, INVENTORY), /already holds a checkpoint \(records\.log exists\)/);
    assert.deepEqual(fs.readFileSync(path.join(good, RECORDS_FILE)), log);
  });

  it('refuses a bad inventory before touching the disk', async () => {
    const dir = freshDir();
    await assert.rejects(openLocalSink(dir, { ...INVENTORY, rootPid: 0 }), (e: Error) => e instanceof PayloadError && /rootPid 0 is not a pid/.test(e.message));
    assert.equal(fs.existsSync(dir), false);
  });

  it('refuses a payload the restorer would refuse, naming it', async () => {
    const dir = freshDir();
    const sink = await openLocalSink(dir, INVENTORY);
    await assert.rejects(
      sink.put('vma', 'vma:100:7f0000004000', { ...SAMPLES.vma, start: 0x7f0000004000n }),
      (e: Error) => e instanceof PayloadError && e.message === 'vma vma:100:7f0000004000: start 0x7f0000004000 is not below end 0x7f0000004000',
    );
    await assert.rejects(sink.putPages(100, 0x1000n, Buffer.alloc(100)), /not a whole number of 4096-byte pages/);
    await assert.rejects(sink.put('pages' as never, 'x', SAMPLES.pages as never), /written by putPages/);
    await assert.rejects(sink.put('commit' as never, 'x', SAMPLES.commit as never), /written by the stream itself/);
    await assert.rejects(sink.put('vma', 'vma\0x', SAMPLES.vma), /NUL/);
    await sink.abort();
  });

  it('abort removes everything the sink wrote, its new directories included', async () => {
    const parent = freshDir();
    const dir = path.join(parent, 'a', 'b');
    const sink = await openLocalSink(dir, INVENTORY);
    await sink.put('pstree', 'task:100', SAMPLES.pstree);
    await sink.putPages(100, 0x1000n, Buffer.alloc(4096, 1));
    await sink.abort();
    await sink.abort();
    assert.equal(fs.existsSync(parent), false);
    await assert.rejects(sink.put('pstree', 'task:100', SAMPLES.pstree), /the sink is aborted/);

    // A directory that existed stays, with whatever else it held.
    const existing = freshDir();
    fs.mkdirSync(existing);
    fs.writeFileSync(path.join(existing, 'keep'), 'x');
    const s2 = await openLocalSink(existing, INVENTORY);
    await s2.abort();
    assert.deepEqual(fs.readdirSync(existing), ['keep']);
  });

  it('takes nothing after commit and will not abort a committed image', async () => {
    const dir = freshDir();
    const sink = await openLocalSink(dir, INVENTORY);
    await sink.commit();
    await assert.rejects(sink.put('pstree', 'task:100', SAMPLES.pstree), /the sink is committed/);
    await assert.rejects(sink.abort(), /committed/);
    const img = await loadLocalImage(dir);
    assert.deepEqual(img.commit, { recordCount: 1n, kindCounts: { inventory: 1n }, pageBytes: 0n });
  });

  it('refuses missing directory and files', async () => {
    const missing = path.join(scratch, 'nope');
    await refused(missing, `${missing}: no such directory`);
    const empty = freshDir();
    fs.mkdirSync(empty);
    await refused(empty, `records.log: missing from ${empty}`);
    const noPages = freshDir();
    fs.mkdirSync(noPages);
    fs.copyFileSync(path.join(good, RECORDS_FILE), path.join(noPages, RECORDS_FILE));
    await refused(noPages, `pages.img: missing from ${noPages}`);
    await refused(path.join(good, RECORDS_FILE), `${path.join(good, RECORDS_FILE)}: not a directory`);
  });

  it('refuses a records.log truncated anywhere', async () => {
    const last = frames.length - 1;
    await refused(withRecords(good, log.subarray(0, 0)), 'records.log: no records: the checkpoint is incomplete');
    for (const i of [1, 5, last - 1]) {
      await refused(withRecords(good, log.subarray(0, frames[i]!)), 'records.log: no commit record: the checkpoint is incomplete');
    }
    for (const cut of [1, 3, 4, 10, frames[3]! + 2, frames[6]! + 100, log.length - 1]) {
      const start = frames.filter((f) => f <= cut && f < log.length).pop()!;
      await refused(withRecords(good, log.subarray(0, cut)), `records.log: truncated frame at byte ${start}`);
    }
  });

  it('refuses a records.log with any byte flipped', async () => {
    // Every frame's length and envelope header (tags, lengths, seq: where a flip could slip
    // through a lenient decoder), every 11th byte elsewhere, and the tail of the commit.
    const headers = new Set(frames.slice(0, -1).flatMap((f) => Array.from({ length: 40 }, (_, i) => f + i)));
    const positions = [...new Set([...headers, ...Array.from({ length: log.length }, (_, i) => i).filter((i) => i % 11 === 0 || i >= log.length - 64)])].filter((i) => i < log.length);
    const dir = withRecords(good, log);
    const started = performance.now();
    for (const at of positions) {
      for (const mask of headers.has(at) ? [0xff, 0x01, 0x80] : [0xff]) {
        const bad = Buffer.from(log);
        bad[at]! ^= mask;
        fs.writeFileSync(path.join(dir, RECORDS_FILE), bad);
        await refused(dir, /^records\.log: /);
      }
    }
    assert.ok(positions.length > log.length / 8);
    assert.ok(performance.now() - started < 8000, 'took too long');
  });

  it('refuses a frame longer than 64 MiB', async () => {
    const bad = Buffer.from(log);
    bad.writeUInt32LE(64 * 1024 * 1024 + 1, frames[2]!);
    await refused(withRecords(good, bad), `records.log: invalid frame length 67108865 at byte ${frames[2]} (the limit is 67108864)`);
  });

  it('refuses a page store with a flipped byte, or cut short', async () => {
    const dir = withRecords(good, log);
    const pagesPath = path.join(dir, PAGES_FILE);
    const pages = fs.readFileSync(pagesPath);
    const third = image.records.filter((r) => r.kind === 'pages')[2]!;
    pages[3 * 4096 + 77]! ^= 0x10;
    fs.writeFileSync(pagesPath, pages);
    await refused(dir, `pages.img: crc mismatch in pages record ${third.seq} (pid 100 at 0x7ffffffde000)`);
    fs.writeFileSync(pagesPath, pages.subarray(0, pages.length - 4096));
    await refused(dir, `pages.img: record ${third.seq} points past the end of the page store`);
    fs.writeFileSync(pagesPath, Buffer.concat([pages, Buffer.alloc(4096)]));
    await refused(dir, `pages.img: ${pages.length + 4096} bytes long, but the commit counts ${pages.length} bytes of pages`);
  });

  it('refuses a page store cut short even when the digests are left to the caller', async () => {
    const dir = withRecords(good, log);
    const pagesPath = path.join(dir, PAGES_FILE);
    const pages = fs.readFileSync(pagesPath);
    fs.writeFileSync(pagesPath, pages.subarray(0, pages.length - 1));
    const last = image.records.filter((r) => r.kind === 'pages').pop()!;
    await assert.rejects(loadLocalImage(dir, { deferPageCheck: true }), { message: `pages.img: record ${last.seq} points past the end of the page store` });
    fs.rmSync(pagesPath);
    await assert.rejects(loadLocalImage(dir, { deferPageCheck: true }), { message: `pages.img: missing from ${dir}` });
  });

  it('readPages checks the bytes again', async () => {
    const dir = withRecords(good, log);
    const img = await loadLocalImage(dir);
    const pages = fs.readFileSync(path.join(dir, PAGES_FILE));
    pages[5]! ^= 1;
    fs.writeFileSync(path.join(dir, PAGES_FILE), pages);
    await assert.rejects(img.readPages(img.byKind('pages')[0]!), (e: Error) => e instanceof ImageError && e.message === `pages.img: crc mismatch in pages record ${img.records.findIndex((r) => r.kind === 'pages')} (pid 100 at 0x7f0000000000)`);
  });

  const framesOf = (buf: Buffer, offsets: number[]) => offsets.slice(0, -1).map((o, i) => buf.subarray(o, offsets[i + 1]));
  const describeRecord = (i: number) => `record ${i} (${image.records[i]!.kind} ${image.records[i]!.objectId})`;

  it('refuses a stream with a missing record', async () => {
    const f = framesOf(log, frames);
    await refused(withRecords(good, Buffer.concat([...f.slice(0, 4), ...f.slice(5)])), `records.log: record 4 (${image.records[5]!.kind} ${image.records[5]!.objectId}): sequence gap: expected 4, found 5`);
  });

  it('refuses a stream with a record moved', async () => {
    const f = framesOf(log, frames);
    const moved = [...f.slice(0, 3), f[5]!, f[3]!, f[4]!, ...f.slice(6)];
    await refused(withRecords(good, Buffer.concat(moved)), `records.log: record 3 (${image.records[5]!.kind} ${image.records[5]!.objectId}): sequence gap: expected 3, found 5`);
    const back = [...f.slice(0, 3), f[4]!, f[5]!, f[3]!, ...f.slice(6)];
    await refused(withRecords(good, Buffer.concat(back)), /^records\.log: record 3 \(.*\): sequence gap: expected 3, found 4$/);
    // Renumbered so the sequence looks right: the chain still gives it away.
    const renumbered = moved.map((fr, i) => frame(encodeRecord({ ...decodeRecord(fr.subarray(4)), seq: BigInt(i) })));
    await refused(withRecords(good, Buffer.concat(renumbered)), `records.log: record 3 (${image.records[5]!.kind} ${image.records[5]!.objectId}): chain broken: prev_hash is not the hash of record 2`);
  });

  it('refuses a record whose payload was changed, even if it decodes', async () => {
    const f = framesOf(log, frames);
    const rec = decodeRecord(f[2]!.subarray(4));
    const forged = frame(encodeRecord({ ...rec, payload: encodePayload('procattrs', { ...SAMPLES.procattrs, umask: 0o077 }) }));
    await refused(withRecords(good, Buffer.concat([...f.slice(0, 2), forged, ...f.slice(3)])), `records.log: ${describeRecord(2)}: chain hash mismatch`);
  });

  describe('streams the sink would never write', () => {
    const ckpt = 'ckpt-sample';
    const inventoryRecord: RawRecord = { kind: 'inventory', objectId: 'inventory', payload: encodePayload('inventory', SAMPLES.inventory) };
    const rec = <K extends KindName>(kind: K, objectId: string, payload: KindPayloads[K]): RawRecord => ({ kind, objectId, payload: encodePayload(kind, payload) });
    const commitOf = (counts: Record<string, bigint>, recordCount: bigint, pageBytes = 0n) => rec('commit', 'commit', { recordCount, kindCounts: counts, pageBytes });
    const raw = async (records: RawRecord[], expected: string | RegExp) => {
      const dir = freshDir();
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, RECORDS_FILE), rawStream(records, ckpt));
      fs.writeFileSync(path.join(dir, PAGES_FILE), '');
      await refused(dir, expected);
    };

    it('is accepted when well formed', async () => {
      const dir = freshDir();
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, RECORDS_FILE), rawStream([inventoryRecord, rec('pstree', 'task:100', SAMPLES.pstree), commitOf({ inventory: 1n, pstree: 1n }, 2n)], ckpt));
      fs.writeFileSync(path.join(dir, PAGES_FILE), '');
      assert.equal((await loadLocalImage(dir)).records.length, 3);
    });

    it('refuses an out-of-range field, naming the record', async () => {
      await raw(
        [inventoryRecord, rec('vma', 'vma:100:7f0000004000', { ...SAMPLES.vma, start: 0x7f0000004000n }), commitOf({ inventory: 1n, vma: 1n }, 2n)],
        'records.log: record 1 (vma vma:100:7f0000004000): start 0x7f0000004000 is not below end 0x7f0000004000',
      );
      await raw(
        [inventoryRecord, rec('core', 'core:100', { ...SAMPLES.core, regs: Buffer.alloc(200) }), commitOf({ inventory: 1n, core: 1n }, 2n)],
        'records.log: record 1 (core core:100): regs is 200 bytes long (expected exactly 216)',
      );
    });

    it('refuses a missing commit, a second commit, commits that miscount', async () => {
      await raw([inventoryRecord, rec('pstree', 'task:100', SAMPLES.pstree)], 'records.log: no commit record: the checkpoint is incomplete');
      const c = commitOf({ inventory: 1n }, 1n);
      await raw([inventoryRecord, c, { ...c }], 'records.log: record 2 (commit commit): follows the commit record');
      await raw([inventoryRecord, rec('pstree', 'task:100', SAMPLES.pstree), commitOf({ inventory: 1n, pstree: 1n }, 3n)], 'records.log: record 2 (commit commit): the commit counts 3 records before it, the stream has 2');
      await raw([inventoryRecord, rec('pstree', 'task:100', SAMPLES.pstree), commitOf({ inventory: 1n, pstree: 2n }, 2n)], 'records.log: record 2 (commit commit): the commit counts 2 pstree records, the stream has 1');
      await raw([inventoryRecord, commitOf({ inventory: 1n, vma: 1n }, 1n)], 'records.log: record 1 (commit commit): the commit counts 1 vma records, the stream has 0');
      await raw([inventoryRecord, commitOf({ inventory: 1n }, 1n, 4096n)], 'records.log: record 1 (commit commit): the commit counts 4096 bytes of pages, the pages records add up to 0');
    });

    it('refuses a stream that does not start with its inventory', async () => {
      await raw([rec('pstree', 'task:100', SAMPLES.pstree), commitOf({ pstree: 1n }, 1n)], 'records.log: record 0 (pstree task:100): the first record must be the inventory');
      await raw([inventoryRecord, { ...inventoryRecord }, commitOf({ inventory: 2n }, 2n)], 'records.log: record 1 (inventory inventory): a second inventory record');
      await raw(
        [{ ...inventoryRecord, payload: encodePayload('inventory', { ...SAMPLES.inventory, checkpointId: 'other' }) }, commitOf({ inventory: 1n }, 1n)],
        'records.log: record 0 (inventory inventory): the inventory names checkpoint other, its envelope ckpt-sample',
      );
    });

    it('refuses mixed checkpoints, unknown kinds, gaps, undecodable payloads, pages beyond the store', async () => {
      await raw([inventoryRecord, { ...rec('pstree', 'task:100', SAMPLES.pstree), checkpointId: 'x' }, commitOf({ inventory: 1n, pstree: 1n }, 2n)], 'records.log: record 1 (pstree task:100): belongs to checkpoint x, not ckpt-sample');
      await raw([inventoryRecord, { kind: 'socket', objectId: 'socket:1', payload: Buffer.alloc(0) }, commitOf({ inventory: 1n, socket: 1n }, 2n)], 'records.log: record 1 (socket socket:1): unknown kind "socket"');
      await raw([inventoryRecord, { ...rec('pstree', 'task:100', SAMPLES.pstree), seq: 7n }], 'records.log: record 1 (pstree task:100): sequence gap: expected 1, found 7');
      await raw([inventoryRecord, { kind: 'pstree', objectId: 'task:100', payload: Buffer.from([0x0a, 0x05, 1]) }], /^records\.log: record 1 \(pstree task:100\): cannot decode the payload: /);
      await raw([inventoryRecord, rec('pages', 'pages:100:1000', { pid: 100, vaddr: 0x1000n, npages: 1, offset: 0n, crc32: 0 }), commitOf({ inventory: 1n, pages: 1n }, 2n, 4096n)], 'pages.img: record 1 points past the end of the page store');
    });
  });
});
