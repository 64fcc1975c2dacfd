// Pages through the whole receiving path into a PageFile: the listener reads into reused frame
// buffers, so a buffer handed back too early, or a read landing in the wrong place, shows up as
// wrong bytes here. Several streams, one after the other, share the listener's buffers.
import { test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PageStreamWriter, PAGE_FRAME_MAX } from '../src/page-stream.js';
import { listenForPages } from '../src/page-listener.js';
import { PageFile } from '../src/page-file.js';

const SIZES = [4096, PAGE_FRAME_MAX - 4096, PAGE_FRAME_MAX, PAGE_FRAME_MAX + 4096, 3 * PAGE_FRAME_MAX + 12288, 4 << 20];

for (const sync of [false, true]) {
  test(`random pages of several sizes arrive byte for byte (sync: ${sync})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-page-file-'));
    const files = new Map<string, PageFile>();
    const listener = await listenForPages('127.0.0.1', 0, (hello) => files.get(hello.token));
    try {
      for (let stream = 0; stream < 3; stream++) {
        const token = `t${stream}`;
        const file = await PageFile.create(path.join(dir, token), { sync });
        files.set(token, file);
        const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token }, { checkpointId: 'c', token });
        // One buffer refilled per write, as the dumper does: the stream may not keep a reference.
        const scratch = Buffer.alloc(4 << 20);
        const expected: Buffer[] = [];
        let offset = 0;
        for (let round = 0; round < 4; round++) {
          for (const size of SIZES) {
            const data = randomBytes(size);
            expected.push(data);
            data.copy(scratch);
            await writer.write(offset, scratch.subarray(0, size));
            offset += size;
          }
        }
        await writer.allAcked();
        writer.close();
        await file.close();
        const got = fs.readFileSync(file.path);
        assert.equal(got.length, offset);
        assert.ok(got.equals(Buffer.concat(expected)), `stream ${stream}: the file holds what was sent`);
      }
    } finally {
      listener.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('room made for more pages than come is given back at close; fewer than come is no limit', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-page-file-'));
  const files = new Map<string, PageFile>();
  const listener = await listenForPages('127.0.0.1', 0, (hello) => files.get(hello.token));
  try {
    for (const [token, expectedBytes, sent] of [['over', 64 << 20, 3 << 20], ['under', 1 << 20, 5 << 20]] as const) {
      const file = await PageFile.create(path.join(dir, token), { sync: false, expectedBytes });
      files.set(token, file);
      // st_blocks counts 512-byte units: the room is there before a byte arrived.
      assert.ok(fs.statSync(file.path).blocks * 512 >= expectedBytes, `${token}: room made up front`);
      const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token }, { checkpointId: 'c', token });
      const data = randomBytes(sent);
      await writer.write(0, data);
      await writer.allAcked();
      writer.close();
      await file.close();
      const stat = fs.statSync(file.path);
      assert.equal(stat.size, sent);
      assert.ok(stat.blocks * 512 <= sent + 4096, `${token}: ${stat.blocks * 512} bytes held for ${sent} bytes of pages`);
      assert.ok(fs.readFileSync(file.path).equals(data), `${token}: the file holds what was sent`);
    }
  } finally {
    listener.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
