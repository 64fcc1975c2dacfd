// Pages through the listener's buffered path into a PageFile: the listener reads into reused frame
// buffers, so a buffer handed back too early, or a read landing in the wrong place, shows up as
// wrong bytes here. Several streams, one after the other, share the listener's buffers. (A
// PageFile would take the socket and splice it: the target here offers only write, as the image
// server's does; page-file-splice.test.ts covers the splice path.)
import { test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PageStreamWriter, PAGE_FRAME_MAX } from '../src/page-stream.js';
import { listenForPages, type PageTarget } from '../src/page-listener.js';
import { sendRandomRuns } from './random-runs.js';
import { PageFile } from '../src/page-file.js';

/** FILE as a target that can only be written to: the listener reads the socket itself. */
function bufferedOnly(file: PageFile | undefined): PageTarget | undefined {
  return file && { write: (offset, data) => file.write(offset, data), broken: (why) => file.broken(why) };
}

const SIZES = [4096, PAGE_FRAME_MAX - 4096, PAGE_FRAME_MAX, PAGE_FRAME_MAX + 4096, 3 * PAGE_FRAME_MAX + 12288, 4 << 20];

for (const sync of [false, true]) {
  test(`random pages of several sizes arrive byte for byte (sync: ${sync})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-page-file-'));
    const files = new Map<string, PageFile>();
    const listener = await listenForPages('127.0.0.1', 0, (hello) => bufferedOnly(files.get(hello.token)));
    try {
      for (let stream = 0; stream < 3; stream++) {
        const token = `t${stream}`;
        const file = await PageFile.create(path.join(dir, token), { sync });
        files.set(token, file);
        const writer = await PageStreamWriter.connect({ host: listener.host, port: listener.port, token }, { checkpointId: 'c', token });
        const sent = await sendRandomRuns(writer, SIZES, 4);
        await writer.allAcked();
        writer.close();
        await file.close();
        const got = fs.readFileSync(file.path);
        assert.equal(got.length, sent.length);
        assert.ok(got.equals(sent), `stream ${stream}: the file holds what was sent`);
      }
    } finally {
      listener.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

// On a disk filesystem (the tmp dir here) the room is reserved; on tmpfs it is also written (zeros),
// so that the pages land in memory the host has already given this machine (see room.ts).
for (const [where, base, tmpfs] of [['a disk filesystem', os.tmpdir(), false], ['tmpfs', '/dev/shm', true]] as const) {
  test(`room made for more pages than come is given back at close; fewer than come is no limit (${where})`, async () => {
    assert.equal(fs.statfsSync(base).type === 0x01021994, tmpfs, `${base} is ${tmpfs ? '' : 'not '}tmpfs`);
    const dir = fs.mkdtempSync(path.join(base, 'ferry-page-file-'));
    const files = new Map<string, PageFile>();
    const listener = await listenForPages('127.0.0.1', 0, (hello) => files.get(hello.token));
    try {
      for (const [token, expectedBytes, sent] of [['over', 64 << 20, 3 << 20], ['under', 1 << 20, 5 << 20]] as const) {
        const file = await PageFile.create(path.join(dir, token), { sync: false, expectedBytes });
        files.set(token, file);
        // st_blocks counts 512-byte units: the room is there before a byte arrived.
        assert.ok(fs.statSync(file.path).blocks * 512 >= expectedBytes, `${token}: room made up front`);
        assert.equal(fs.statSync(file.path).size, tmpfs ? expectedBytes : 0, `${token}: room written only on tmpfs`);
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
}
