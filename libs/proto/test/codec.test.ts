import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import {
  decodePayload,
  decodeRecord,
  defaultPayload,
  encodePayload,
  encodeRecord,
  KIND_NAMES,
  parseObjectKey,
  PayloadError,
  PROTO_DIR,
  RegFileType,
  validatePayload,
  VmaKind,
  type KindName,
} from '../src/index.js';
import { loadSchema } from '../src/schema.js';
import { SAMPLES, tempDir } from './fixtures.js';

const kinds = Object.keys(SAMPLES) as KindName[];

describe('payload codec', () => {
  it('knows exactly the kinds of the .proto folder, and the types name all of them', () => {
    assert.deepEqual([...KIND_NAMES].sort(), [...kinds].sort());
  });

  it('takes every .proto file of a folder as a kind, its first message as the payload', () => {
    const dir = tempDir('schema');
    try {
      fs.copyFileSync(path.join(PROTO_DIR, 'record.proto'), path.join(dir, 'record.proto'));
      fs.copyFileSync(path.join(PROTO_DIR, 'core.proto'), path.join(dir, 'core.proto'));
      fs.writeFileSync(path.join(dir, 'tty.proto'), 'syntax = "proto3";\npackage ferry;\nmessage Tty { uint32 index = 1; Termios termios = 2; }\nmessage Termios { bytes raw = 1; }\n');
      const schema = loadSchema(dir);
      assert.equal(schema.envelope.name, 'Record');
      assert.deepEqual(schema.kinds.map((k) => [k.kind, k.type.name]), [['core', 'Core'], ['tty', 'Tty']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const kind of kinds) {
    it(`round-trips ${kind} with 64-bit values intact`, () => {
      const bytes = encodePayload(kind, SAMPLES[kind]);
      assert.ok(Buffer.isBuffer(bytes));
      const back = decodePayload(kind, bytes);
      assert.deepEqual(back, SAMPLES[kind]);
      // The interface names every field protobufjs produces, and nothing else.
      assert.deepEqual(Object.keys(defaultPayload(kind)).sort(), Object.keys(SAMPLES[kind]).sort());
    });
  }

  it('validates every sample', () => {
    for (const kind of kinds) if (kind !== 'commit') validatePayload(kind, SAMPLES[kind]);
  });

  it('fills in defaults for missing fields', () => {
    assert.deepEqual(decodePayload('core', Buffer.alloc(0)), {
      pid: 0, tid: 0, regs: Buffer.alloc(0), xstate: Buffer.alloc(0), blocked: 0n,
      altstack: { sp: 0n, flags: 0, size: 0n }, pending: [], comm: '', rseq: { pointer: 0n, size: 0, signature: 0 },
      clearChildTid: 0n, robustList: 0n, robustListLen: 0n,
    });
    const vma = decodePayload('vma', Buffer.alloc(0));
    assert.equal(vma.kind, VmaKind.ANON_PRIVATE);
    assert.equal(vma.growsdown, false);
    assert.deepEqual(vma.advice, []);
    assert.deepEqual(decodePayload('commit', Buffer.alloc(0)), { recordCount: 0n, kindCounts: {}, pageBytes: 0n });
  });

  it('keeps decoded bytes independent of the input buffer', () => {
    const bytes = encodePayload('core', SAMPLES.core);
    const core = decodePayload('core', bytes);
    bytes.fill(0);
    assert.deepEqual(core.regs, SAMPLES.core.regs);
  });

  it('round-trips the envelope', () => {
    const rec = { checkpointId: 'c', seq: 0xfffffffffffffffen, kind: 'vma', objectId: 'vma:1:1000', payload: Buffer.from([1, 2]), prevHash: Buffer.alloc(32, 7), hash: Buffer.alloc(32, 9) };
    assert.deepEqual(decodeRecord(encodeRecord(rec)), rec);
  });

  it('has TS enums equal to the .proto enums', () => {
    const root = protobuf.loadSync([path.join(PROTO_DIR, 'vma.proto'), path.join(PROTO_DIR, 'regfile.proto')]);
    const numeric = (e: object) => Object.fromEntries(Object.entries(e).filter(([, v]) => typeof v === 'number'));
    assert.deepEqual(numeric(VmaKind), { ...root.lookupEnum('ferry.Vma.Kind').values });
    assert.deepEqual(numeric(RegFileType), { ...root.lookupEnum('ferry.RegFile.Type').values });
  });

  it('refuses wrongly typed fields instead of truncating them', () => {
    const bad = (over: object, pattern: RegExp) =>
      assert.throws(() => encodePayload('vma', { ...SAMPLES.vma, ...over }), (e: Error) => e instanceof TypeError && pattern.test(e.message));
    bad({ start: 4096 }, /^Vma\.start: expected a bigint, got number$/);
    bad({ start: -1n }, /unsigned 64-bit/);
    bad({ end: 1n << 64n }, /unsigned 64-bit/);
    bad({ pid: -1 }, /^Vma\.pid: expected an unsigned 32-bit integer/);
    bad({ pid: 1.5 }, /unsigned 32-bit/);
    bad({ path: 7 }, /expected a string/);
    bad({ advice: 'dd' }, /expected an array/);
    bad({ colour: 'red' }, /^Vma: no field named colour$/);
    assert.throws(() => encodePayload('core', { ...SAMPLES.core, altstack: { sp: 1, flags: 0, size: 0n } } as never), /Core\.altstack\.sp|SigAltStack\.sp/);
  });

  it('checks strings and enums for every kind', () => {
    const refuses = (kind: KindName, payload: object, pattern: RegExp) =>
      assert.throws(() => validatePayload(kind, payload as never), (e: Error) => e instanceof PayloadError && pattern.test(e.message));
    refuses('vma', { ...SAMPLES.vma, path: '/a\0b' }, /^path: contains a NUL byte$/);
    refuses('vma', { ...SAMPLES.vma, path: '/' + 'x'.repeat(4095) }, /^path: 4096 bytes long/);
    refuses('vma', { ...SAMPLES.vma, kind: 9 }, /^kind: unknown enum value 9$/);
    refuses('vma', { ...SAMPLES.vma, advice: ['dd', 'x\0'] }, /^advice\[1\]: contains a NUL byte$/);
    refuses('procattrs', { ...SAMPLES.procattrs, cwd: '/' + 'é'.repeat(2048) }, /^cwd: 4097 bytes long/);
  });

  it('checks each kind structurally', () => {
    const refuses = <K extends KindName>(kind: K, over: Partial<(typeof SAMPLES)[K]>, pattern: RegExp) =>
      assert.throws(() => validatePayload(kind, { ...SAMPLES[kind], ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), `${kind} ${pattern}`);
    refuses('vma', { start: 0x7f0000004000n }, /^start 0x7f0000004000 is not below end 0x7f0000004000$/);
    refuses('vma', { start: 0x7f0000000001n }, /start 0x7f0000000001 is not page aligned/);
    refuses('vma', { end: 0x800000001000n }, /end 0x800000001000 is beyond user space/);
    refuses('vma', { start: 0xffffffffff600000n, end: 0xffffffffff601000n }, /vsyscall page is never recorded/);
    refuses('vma', { prot: 8 }, /prot 8/);
    refuses('vma', { pid: 0 }, /pid 0 is not a pid/);
    refuses('vma', { pid: 4194305 }, /pid 4194305 is not a pid/);
    refuses('vma', { path: '' }, /path "" is not an absolute path/);
    refuses('vma', { advice: ['xx'] }, /advice "xx"/);
    refuses('core', { regs: Buffer.alloc(215) }, /^regs is 215 bytes long \(expected exactly 216\)$/);
    refuses('core', { xstate: Buffer.alloc(511) }, /xstate is 511 bytes long \(expected 512\.\.65536\)/);
    refuses('core', { xstate: Buffer.alloc(65537) }, /xstate is 65537 bytes long/);
    refuses('core', { pending: [Buffer.alloc(128), Buffer.alloc(127)] }, /^pending\[1\] is 127 bytes long/);
    refuses('signals', { sharedPending: [Buffer.alloc(129)] }, /sharedPending\[0\] is 129 bytes long/);
    refuses('signals', { actions: [{ ...SAMPLES.signals.actions[0]!, signo: 9 }] }, /signal 9 cannot have a handler/);
    refuses('signals', { actions: [SAMPLES.signals.actions[0]!, SAMPLES.signals.actions[0]!] }, /lists 2 twice/);
    refuses('mm', { auxv: Buffer.alloc(24) }, /auxv is 24 bytes long, not a multiple of 16/);
    refuses('mm', { auxv: Buffer.alloc(16, 1) }, /auxv does not end with AT_NULL/);
    refuses('mm', { startBrk: 0x500000n }, /startBrk 0x500000 is above brk 0x426000/);
    refuses('fd', { fd: 1048576 }, /fd 1048576 is not below 1048576/);
    refuses('pages', { npages: 0 }, /npages is 0/);
    refuses('pages', { vaddr: 0x7ffffffff000n, npages: 2 }, /beyond user space/);
    refuses('pages', { vaddr: 0x1001n }, /vaddr 0x1001 is not page aligned/);
    refuses('pstree', { threads: [101, 100] }, /threads must start with the leader 100/);
    refuses('procattrs', { rlimits: [{ resource: 16, cur: 0n, max: 0n }] }, /resource 16/);
    refuses('procattrs', { rlimits: [{ resource: 1, cur: 2n, max: 1n }] }, /cur 2 is above max 1/);
    refuses('regfile', { flags: 0o1000 }, /O_TRUNC/);
    refuses('regfile', { pos: 1n << 63n }, /pos 9223372036854775808 does not fit a file offset/);
    refuses('inventory', { pageSize: 65536 }, /pageSize 65536 is not supported/);
    refuses('inventory', { formatVersion: 2 }, /formatVersion 2 is not supported/);
    refuses('pipe', { flags: 0o2000000 }, /flags 0o2000000 have bits beyond/);
    refuses('pipe', { flags: 0o3 }, /access mode of 3/);
    refuses('pipe', { bufferSize: 65537 }, /bufferSize 65537 is not a power of two/);
    refuses('pipe', { bufferSize: 2048 }, /bufferSize 2048/);
    refuses('pipe', { bufferSize: 65536 }, /70000 bytes queued do not fit a 65536-byte pipe/);
    refuses('pipe', { fifoPath: 'fifo' }, /fifoPath "fifo" is not an absolute path/);
    refuses('pipe', { pipeId: 0n }, /pipeId is 0/);
    refuses('external', { name: '12:3' }, /name "12:3" is neither a path nor TYPE:\[INODE\]/);
    refuses('external', { name: '' }, /neither a path/);
    refuses('memfd', { flags: 0o1002 }, /^flags 0o1002 include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC$/);
    refuses('memfd', { flags: 0o3 }, /access mode of 3/);
    refuses('memfd', { name: 'x'.repeat(250) }, /^name is 250 bytes long, more than the 249 memfd_create takes$/);
    refuses('memfd', { contents: Buffer.from('hello!') }, /^6 bytes of contents for a file of 5$/);
    refuses('memfd', { size: (16n << 20n) + 1n, contents: Buffer.alloc(0) }, /^size 16777217 exceeds the 16777216 bytes/);
    refuses('memfd', { seals: 0x40 }, /^seals 0x40 are not memfd seals$/);
    refuses('memfd', { mode: 0o10644 }, /^mode 0o10644 is not a permission mode$/);
    refuses('ghost', { path: 'relative' }, /^path "relative" is not an absolute path$/);
    refuses('ghost', { flags: 0o1001 }, /^flags 0o1001 include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC$/);
    refuses('ghost', { contents: Buffer.from('ab') }, /^2 bytes of contents for a file of 3$/);
    refuses('ghost', { size: (16n << 20n) + 1n, contents: Buffer.alloc(0) }, /^size 16777217 exceeds the 16777216 bytes a checkpoint keeps of a ghost file$/);
    refuses('ghost', { mode: 0o100644 }, /^mode 0o100644 is not a permission mode$/);
    refuses('filelock', { kind: 0 }, /^kind 0 is not flock, POSIX or OFD$/);
    refuses('filelock', { kind: 1, start: 0n, length: 5n }, /^a flock lock covers the whole file: start and length must be 0$/);
    refuses('filelock', { length: 2n }, /^start 9223372036854775806 plus length 2 goes beyond the largest file offset$/);
    refuses('filelock', { start: 1n << 63n, length: 0n }, /^start 9223372036854775808 does not fit a file offset$/);
    refuses('filelock', { pid: 0 }, /^pid 0 is not a pid/);
    refuses('filelock', { fd: 0x80000000 }, /^fd 2147483648 is not a descriptor number$/);
    refuses('pidfd', { pid: 0 }, /^pid 0 is not a pid/);
    refuses('pidfd', { id: '' }, /^id is empty$/);
    refuses('pidfd', { flags: 0o1 }, /^flags 0o1 are not pidfd flags/);
    refuses('external', { flags: 0o3 }, /^flags 0o3 are not an access mode/);
    refuses('external', { flags: 0o4001 }, /^flags 0o4001 are not an access mode/);
    refuses('external', { name: '/var/log/x', queued: Buffer.from('abc') }, /^3 bytes queued in \/var\/log\/x, which is not a pipe$/);
    refuses('external', { queued: Buffer.alloc((16 << 20) + 1) }, /^16777217 bytes queued exceed the 16777216 a checkpoint keeps$/);
  });

  it('reads the object keys of --inherit-fd', () => {
    assert.deepEqual(parseObjectKey('pipe:[4026532100]'), { name: 'pipe:[4026532100]' });
    assert.deepEqual(parseObjectKey('/tmp/a:b [c]'), { name: '/tmp/a:b [c]' });
    assert.deepEqual(parseObjectKey('1234:7'), { pid: 1234, fd: 7 });
    assert.throws(() => parseObjectKey('fd[7]:pipe:[1]'), /^Error: "fd\[7\]:pipe:\[1\]" names no object: use pipe:\[INODE\], an absolute path or PID:FD$/);
  });
});
