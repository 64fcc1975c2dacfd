// Chunks cut the record stream anywhere: the frames come out whole, in order, however it was cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame } from '@ferry/proto';
import { FrameAssembler } from '../src/frame-assembler.js';

test('frames split across chunks at every byte come out whole', () => {
  const bodies = [Buffer.from('a'), Buffer.alloc(3000, 7), Buffer.from('last one')];
  const stream = Buffer.concat(bodies.map((b) => frame(b)));
  for (const cut of [1, 2, 5, 999, stream.length]) {
    const assembler = new FrameAssembler();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += cut) out.push(...assembler.push(stream.subarray(at, at + cut)));
    assert.deepEqual(out, bodies, `cut every ${cut} bytes`);
    assert.ok(assembler.complete);
  }
});

test('a stream that stops inside a frame is not complete; an absurd length is refused', () => {
  const assembler = new FrameAssembler();
  assert.deepEqual(assembler.push(frame(Buffer.alloc(10)).subarray(0, 8)), []);
  assert.equal(assembler.complete, false);
  const bad = Buffer.alloc(4);
  bad.writeUInt32LE(0xffffffff);
  assert.throws(() => new FrameAssembler().push(bad), /invalid frame length/);
});
