import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeRecord, encodeRecord, type RecordEnvelope } from '../src/index.js';
import { encodeRecordGenerally } from '../src/envelope.js';
import { decodeCanonicalEnvelope } from '../src/envelope-wire.js';

// The hand-written envelope reader and writer against protobufjs: the same bytes out, and no bytes
// taken that the general codec would have called non-canonical or read otherwise.

let state = 0x2545f491;
const random = (n: number) => {
  state ^= state << 13; state ^= state >>> 17; state ^= state << 5;
  return (state >>> 0) % n;
};
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => random(256)));
const text = () => ['', 'vma', 'unix-socket', 'ékind', '日本', '𝄞x', 'a'.repeat(200)][random(7)]!;

function envelope(): RecordEnvelope {
  const seqs = [0n, 1n, 127n, 128n, 300n, (1n << 63n) + 5n, (1n << 64n) - 1n];
  return {
    checkpointId: text(), seq: seqs[random(seqs.length)]!, kind: text(), objectId: text(),
    payload: bytes([0, 1, 5, 127, 128, 20000][random(6)]!), prevHash: bytes(random(2) * 32), hash: bytes(random(2) * 32),
  };
}

describe('envelope wire form', () => {
  it('writes what protobufjs writes, and reads it back as protobufjs does', () => {
    for (let i = 0; i < 500; i++) {
      const e = envelope();
      const mine = encodeRecord(e);
      assert.deepEqual(mine, encodeRecordGenerally(e));
      assert.deepEqual(decodeCanonicalEnvelope(mine), decodeRecord(mine));
    }
  });

  it('takes no damaged bytes that protobufjs would read otherwise or call non-canonical', () => {
    let taken = 0, left = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(encodeRecord(envelope()));
      if (b.length === 0) continue;
      const damage = random(4);
      let d: Buffer;
      if (damage === 0) { d = Buffer.from(b); d[random(d.length)] = random(256); }
      else if (damage === 1) d = b.subarray(0, random(b.length));
      else if (damage === 2) d = Buffer.concat([b, bytes(1 + random(4))]);
      else { const at = random(b.length); d = Buffer.concat([b.subarray(0, at), bytes(1), b.subarray(at)]); }
      const mine = decodeCanonicalEnvelope(d);
      if (!mine) { left++; continue; }
      taken++;
      assert.deepEqual(mine, decodeRecord(d));
      assert.deepEqual(encodeRecordGenerally(mine), d);
    }
    assert.ok(taken > 100 && left > 100, `damaged envelopes taken ${taken}, left to the general codec ${left}`);
  });

  it('leaves to the general codec an overlong varint, a repeated field and a default written out', () => {
    const e = { checkpointId: 'c', seq: 1n, kind: 'vma', objectId: 'v', payload: Buffer.from([1]), prevHash: Buffer.alloc(0), hash: Buffer.alloc(0) };
    const b = encodeRecord(e);
    const seqAt = b.indexOf(0x10);
    assert.equal(decodeCanonicalEnvelope(Buffer.concat([b.subarray(0, seqAt + 1), Buffer.from([0x81, 0x00]), b.subarray(seqAt + 2)])), undefined);
    assert.equal(decodeCanonicalEnvelope(Buffer.concat([b, Buffer.from([0x3a, 1, 7, 0x3a, 1, 7])])), undefined);
    assert.equal(decodeCanonicalEnvelope(Buffer.concat([Buffer.from([0x0a, 0]), b.subarray(3)])), undefined);
    assert.deepEqual(decodeCanonicalEnvelope(b), decodeRecord(b));
  });
});
