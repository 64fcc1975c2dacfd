import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  encodeRecord,
  firstPrevHash,
  frame,
  recordHash,
  FileLockKind,
  RegFileType,
  RemapKind,
  VmaKind,
  type KindName,
  type KindPayloads,
  type LocalInventory,
  type PayloadKind,
  type RecordSink,
} from '../src/index.js';

const filled = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));

/** One payload of every kind, with 64-bit values above 2^53 wherever the field allows them. */
export const SAMPLES: { [K in KindName]: KindPayloads[K] } = {
  inventory: {
    checkpointId: 'ckpt-sample',
    formatVersion: 1,
    host: 'host-a',
    kernel: '6.18.0',
    rootPid: 100,
    createdMs: 1732280000123n,
    ferryVersion: '0.1.0',
    pageSize: 4096,
    arch: 'x86_64',
    parentCheckpointId: '',
  },
  commit: { recordCount: 0xffffffffffffffffn, kindCounts: { vma: 2n, pages: 0x20000000000001n }, pageBytes: 0xfffffffffffff000n },
  pstree: { pid: 100, ppid: 1, pgid: 100, sid: 99, threads: [100, 101, 4194304], zombie: false, exitStatus: 0, zombieComm: '' },
  core: {
    pid: 100,
    tid: 101,
    regs: filled(216, 1),
    xstate: filled(2696, 2),
    blocked: 0xffffffffffffffffn,
    altstack: { sp: 0x7ffd12340000n, flags: 2, size: 8192n },
    pending: [filled(128, 3), filled(128, 4)],
    comm: 'sleep',
    rseq: { pointer: 0x7f1234567020n, size: 32, signature: 0x53053053 },
    clearChildTid: 0x7f1234567890n,
    robustList: 0x7f12345678a0n,
    robustListLen: 24n,
  },
  signals: {
    pid: 100,
    actions: [
      { signo: 2, handler: 0x401136n, flags: 0x4000000n, restorer: 0x7f0000012340n, mask: 0xfffffffffffbfeffn },
      { signo: 64, handler: 1n, flags: 0n, restorer: 0n, mask: 0n },
    ],
    sharedPending: [filled(128, 5)],
  },
  procattrs: {
    pid: 100,
    comm: 'sleep',
    personality: 0x0400000,
    umask: 0o022,
    rlimits: [
      { resource: 7, cur: 1024n, max: 0xffffffffffffffffn },
      { resource: 3, cur: 8388608n, max: 0xffffffffffffffffn },
    ],
    cwd: '/tmp/wörk dir',
    root: '/',
  },
  mm: {
    pid: 100,
    startCode: 0x400000n,
    endCode: 0x401000n,
    startData: 0x403000n,
    endData: 0x404000n,
    startBrk: 0x405000n,
    brk: 0x426000n,
    startStack: 0x7ffffffde000n,
    argStart: 0x7ffffffdf000n,
    argEnd: 0x7ffffffdf010n,
    envStart: 0x7ffffffdf010n,
    envEnd: 0x7ffffffdffe0n,
    auxv: Buffer.concat([filled(32, 6), Buffer.alloc(16)]),
    exePath: '/usr/bin/sleep', exeFileId: '',
  },
  vma: {
    pid: 100,
    start: 0x7f0000000000n,
    end: 0x7f0000004000n,
    kind: VmaKind.FILE_PRIVATE,
    prot: 5,
    pgoff: 0x1000n,
    path: '/usr/lib/libc.so.6',
    dev: 0xfffffffffffffffen,
    ino: 0x20000000000003n,
    fileSize: 0x7fffffffffffffffn,
    growsdown: true,
    advice: ['dd', 'hg'],
    shmid: 0x20000000000004n,
    fileId: '',
  },
  pages: { pid: 100, vaddr: 0x7f0000000000n, npages: 4, offset: 0xfffffffffff00000n, crc32: 0xdeadbeef },
  fd: { pid: 100, fd: 1048575, cloexec: true, fileId: 'file:803:1234:0-1' },
  regfile: {
    id: 'file:803:1234:0-1',
    type: RegFileType.CHARDEV,
    path: '/dev/null',
    flags: 0o2 | 0o2000,
    pos: 0x7fffffffffffffffn,
    size: 0n,
    mode: 0o20666,
    dev: 0x20000000000005n,
    ino: 0xffffffffffffffffn,
    rdev: 0x103,
  },
  creds: {
    pid: 100,
    uids: [1000, 1000, 1000, 1000],
    gids: [1000, 1000, 0, 1000],
    groups: [27, 100, 4294967294],
    capInh: 0n,
    capPrm: 0x1ffffffffffn,
    capEff: 0x1ffffffffffn,
    capBnd: 0xffffffffffffffffn,
    capAmb: 0n,
    noNewPrivs: true,
  },
  pipe: {
    id: 'file:100:3',
    pipeId: 0x20000000000006n,
    flags: 0o1 | 0o4000,
    fifoPath: '',
    bufferSize: 262144,
    queued: filled(70000, 7),
  },
  external: { id: 'file:100:1', name: 'pipe:[4026532100]', flags: 0, queued: Buffer.from('queued for the reader') },
  remap: { fileId: 'file:100:7', kind: RemapKind.PROCFS, pid: 4194304 },
  memfd: { id: 'file:100:6', name: 'ferry: a log', flags: 0o2002, pos: 3n, ino: 4026532101n, size: 5n, contents: Buffer.from('hello'), seals: 0x17, mode: 0o600 },
  ghost: { id: 'file:100:7', path: '/var/tmp/scratch', flags: 0o2001, pos: 2n, dev: 2049n, ino: 1234n, size: 3n, contents: Buffer.from('abc'), mode: 0o640 },
  filelock: { pid: 4194304, fd: 2147483647, kind: FileLockKind.OFD, exclusive: true, start: 9223372036854775806n, length: 1n },
  pidfd: { id: 'file:100:5', pid: 4194304, flags: 0o4000 | 0o200 | 2 },
  tty: {
    index: 1048575,
    termios: filled(36, 3),
    lockedTermios: filled(36, 0),
    rows: 37,
    cols: 123,
    xpixel: 0xffff,
    ypixel: 0,
    packetMode: true,
    locked: false,
    exclusive: true,
    uid: 1000,
    gid: 5,
    mode: 0o620,
    sid: 100,
    pgrp: 101,
    hung: false,
    queuedInput: filled(4096, 0x61),
    queuedOutput: filled(70000, 0x0a),
    external: false,
    lineEndsKnown: true,
    lineEnds: [1, 2, 4096],
    hasUnprocessed: true,
    unprocessedFrom: 4000,
    packetStatus: 0x80,
  },
  ttyfile: { id: 'file:100:10', index: 1048575, master: true, flags: 0o4002, devTty: false },
  eventfd: { id: 'file:100:8', count: 0xfffffffffffffffen, semaphore: true, flags: 0o4002 },
  timerfd: { id: 'file:100:11', clockid: 0, flags: 0o4002, settimeFlags: 3, ticks: 0x7ffffffffffffff0n, valueNs: 0x7fffffffffffff00n, intervalNs: 0x7ffffffffffffffen, expiresAtNs: 0x7fffffffffffffffn },
  signalfd: { id: 'file:100:12', mask: 0xfffffffffffbfeffn, flags: 0o4002 },
  posixtimers: {
    pid: 100,
    timers: [
      { id: 0, clockid: 1, notify: 0, signo: 34, value: 0xfffffffffffffff1n, notifyTid: 0, valueNs: 0x7ffffffffffffff0n, intervalNs: 0x7fffffffffffffffn, overrun: 0x7fffffff },
      { id: 0x7fffffff, clockid: -6, notify: 4, signo: 64, value: 0n, notifyTid: 101, valueNs: 0n, intervalNs: 0n, overrun: 0 },
      { id: 2, clockid: 0, notify: 1, signo: 0, value: 0n, notifyTid: 0, valueNs: 1n, intervalNs: 0n, overrun: 0 },
    ],
  },
  itimers: { pid: 100, realValueNs: 0x7ffffffffffffcd8n, realIntervalNs: 1000n, virtualValueNs: 0n, virtualIntervalNs: 0n, profValueNs: 2000n, profIntervalNs: 0x1ffffffffffffc48n },
  inotify: {
    id: 'file:100:13',
    flags: 0o4000,
    watches: [
      { wd: 1, path: '/tmp/watched', mask: 0x84000fff, ino: 0xffffffffffffff01n, sdev: 0xfe00000 },
      { wd: 0x7fffffff, path: '/', mask: 0x100, ino: 2n, sdev: 0xffffffff },
    ],
  },
  sysvshm: { id: 0x7fffffff, key: -1, size: 0x7ffffffff000n, mode: 0o777, uid: 0xffffffff, gid: 0xfffffffe, cuid: 0xfffffffd, cgid: 0xfffffffc, removed: false },
  sysvsem: { id: 0x7fffffff, key: -1, mode: 0o777, uid: 0xffffffff, gid: 0xfffffffe, values: [0, 32767, 1] },
  sysvmsg: {
    id: 0x7fffffff, key: -1, mode: 0o777, uid: 0xffffffff, gid: 0xfffffffe, qbytes: 0xffffffffffffffffn,
    messages: [{ type: 0x7fffffffffffffffn, text: Buffer.from([0, 0xff, 1]) }, { type: 1n, text: Buffer.alloc(0) }],
  },
  inet_socket: {
    id: 'file:100:11', family: 10, type: 1, state: 1, flags: 0o4002, localAddress: '::ffff:127.0.0.1', localPort: 65535,
    remoteAddress: 'fe80::1', remotePort: 1, backlog: 0, reuseAddress: true, reusePort: true, v6Only: false, keepalive: true,
    noDelay: true, bound: true, sendBuffer: 4194304, receiveBuffer: 6291456,
    stream: {
      lock: 'ckpt-sample', sendSeq: 0xffffffff, receiveSeq: 1, sendQueue: filled(70000, 3), unsent: 70000, receiveQueue: filled(3, 4),
      mss: 65483, options: 7, sendWscale: 14, receiveWscale: 7, timestamp: 0xfffffffe, sndWl1: 1, sndWnd: 0xffffffff, maxWindow: 65535,
      rcvWnd: 65536, rcvWup: 0x80000000,
    },
  },
  eventpoll: { id: 'file:100:9', flags: 2, ownerPid: 100, targets: [{ fd: 8, events: 0x80000019, data: 0xffffffffffffffffn }, { fd: 1048575, events: 0, data: 0n }] },
  'unix-socket': {
    id: 'file:100:10', ino: 0xfffffffffn, type: 2, state: 1, flags: 0o4002, name: Buffer.from('/run/x.sock'), nameUnlinked: false,
    peerIno: 0n, peerName: Buffer.from('\0peer'), peerClosed: false, shutdown: 2, backlog: 0, acceptQueue: [],
    rcvbuf: 425984, sndbuf: 2147483647, passcred: true, passsec: false, peekOff: -1, rcvtimeoUs: 0xfffffffffffn, sndtimeoUs: 0n,
    creatorPid: 4194304, queued: [{ data: filled(70000, 9), sender: Buffer.from('\0a') }, { data: Buffer.alloc(0), sender: Buffer.alloc(0) }],
  },
};

export const INVENTORY: LocalInventory = { ...SAMPLES.inventory, checkpointId: undefined };

export type AnyRecord = { [K in PayloadKind]: { kind: K; objectId: string; payload: KindPayloads[K] } }[PayloadKind];

/** put() for a record whose kind is only known at run time. */
export function putRecord(sink: RecordSink, r: AnyRecord): Promise<void> {
  return sink.put(r.kind, r.objectId, r.payload as never);
}

/** Samples usable in one image (the pages and commit samples point at nothing real). */
export const IMAGE_RECORDS: AnyRecord[] = [
  { kind: 'pstree', objectId: 'task:100', payload: SAMPLES.pstree },
  { kind: 'procattrs', objectId: 'procattrs:100', payload: SAMPLES.procattrs },
  { kind: 'regfile', objectId: SAMPLES.regfile.id, payload: SAMPLES.regfile },
  { kind: 'fd', objectId: 'fd:100:1048575', payload: SAMPLES.fd },
  { kind: 'signals', objectId: 'signals:100', payload: SAMPLES.signals },
  { kind: 'core', objectId: 'core:101', payload: SAMPLES.core },
  { kind: 'mm', objectId: 'mm:100', payload: SAMPLES.mm },
  { kind: 'vma', objectId: 'vma:100:7f0000000000', payload: SAMPLES.vma },
  { kind: 'vma', objectId: 'vma:100:7ffffffde000', payload: { ...SAMPLES.vma, start: 0x7ffffffde000n, end: 0x7ffffffff000n, kind: VmaKind.ANON_PRIVATE, path: '[stack]', pgoff: 0n, dev: 0n, ino: 0n, fileSize: 0n, advice: [] } },
];

export function tempDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ferry-proto-${tag}-`));
}

/** Start offsets of the frames of a records.log, and its length last. */
export function frameOffsets(log: Buffer): number[] {
  const offsets: number[] = [];
  let at = 0;
  while (at < log.length) {
    offsets.push(at);
    at += 4 + log.readUInt32LE(at);
  }
  offsets.push(at);
  return offsets;
}

export interface RawRecord {
  kind: string;
  objectId: string;
  payload: Buffer;
  seq?: bigint;
  checkpointId?: string;
}

/**
 * A records.log written by hand from the public primitives, without the sink's validation, so
 * tests can make streams the sink would never write.
 */
export function rawStream(records: readonly RawRecord[], checkpointId = 'ckpt-sample'): Buffer {
  let prevHash = firstPrevHash();
  const frames = records.map((r, i) => {
    const seq = r.seq ?? BigInt(i);
    const hash = recordHash(prevHash, seq, r.kind, r.objectId, r.payload);
    const bytes = encodeRecord({ checkpointId: r.checkpointId ?? checkpointId, seq, kind: r.kind, objectId: r.objectId, payload: r.payload, prevHash, hash });
    prevHash = hash;
    return frame(bytes);
  });
  return Buffer.concat(frames);
}
