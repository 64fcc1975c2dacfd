// Sample records of a small tree, shaped like the dumper's (see libs/proto/test/fixtures.ts):
// root 100 with threads 101 and 102, its child 200, a zombie 300; fd 0 of both tasks shares one
// /dev/null, a pipe runs from 200 to 100, 100 watches the pipe with an epoll, and 100 holds
// /proc/4000 of a process that was dead at dump.
import { RegFileType, RemapKind, VmaKind, type KindPayloads, type Task } from '@ferry/proto';
import type { SampleRecord } from './memory-image.js';

const filled = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff));

export const HEAP = { start: 0x1000000n, end: 0x1010000n };
export const LIBC = { start: 0x7f0000000000n, end: 0x7f0000004000n };

export function task(pid: number, ppid: number, more: Partial<Task> = {}): SampleRecord {
  return { kind: 'pstree', payload: { pid, ppid, pgid: 100, sid: 100, threads: [pid], zombie: false, exitStatus: 0, zombieComm: '', ...more } };
}

export function core(pid: number, tid: number): SampleRecord {
  return {
    kind: 'core',
    payload: {
      pid, tid, regs: filled(216, 1), xstate: filled(2696, 2), blocked: 0n, altstack: { sp: 0n, flags: 2, size: 0n },
      pending: [], comm: 'sample', rseq: { pointer: 0n, size: 32, signature: 0x53053053 }, clearChildTid: 0n, robustList: 0n, robustListLen: 24n,
    },
  };
}

export function vma(pid: number, range: { start: bigint; end: bigint }, kind = VmaKind.ANON_PRIVATE): SampleRecord {
  const file = kind === VmaKind.FILE_PRIVATE;
  return {
    kind: 'vma',
    payload: {
      pid, ...range, kind, prot: 3, pgoff: 0n, path: file ? '/usr/lib/libc.so.6' : '', dev: 0n, ino: 0n,
      fileSize: file ? 0x200000n : 0n, growsdown: false, advice: [], shmid: 0n, fileId: '',
    },
  };
}

export function pages(pid: number, vaddr: bigint, npages: number, offset = 0n): SampleRecord {
  return { kind: 'pages', payload: { pid, vaddr, npages, offset, crc32: 0 } };
}

export function fd(pid: number, n: number, fileId: string): SampleRecord {
  return { kind: 'fd', payload: { pid, fd: n, cloexec: false, fileId } };
}

/** Everything a live task has one of: signals, attributes, credentials, mm. */
export function perProcess(pid: number): SampleRecord[] {
  const signals: KindPayloads['signals'] = { pid, actions: [{ signo: 2, handler: 0x401136n, flags: 0x4000000n, restorer: 0x7f0000012340n, mask: 0n }], sharedPending: [] };
  const procattrs: KindPayloads['procattrs'] = { pid, comm: 'sample', personality: 0, umask: 0o022, rlimits: [], cwd: '/', root: '/' };
  const creds: KindPayloads['creds'] = {
    pid, uids: [0, 0, 0, 0], gids: [0, 0, 0, 0], groups: [], capInh: 0n, capPrm: 0x1ffffffffffn, capEff: 0x1ffffffffffn,
    capBnd: 0x1ffffffffffn, capAmb: 0n, noNewPrivs: false,
  };
  const mm: KindPayloads['mm'] = {
    pid, startCode: 0x400000n, endCode: 0x401000n, startData: 0x403000n, endData: 0x404000n, startBrk: HEAP.start, brk: HEAP.end,
    startStack: 0x7ffffffde000n, argStart: 0x7ffffffdf000n, argEnd: 0x7ffffffdf010n, envStart: 0x7ffffffdf010n, envEnd: 0x7ffffffdffe0n,
    auxv: Buffer.alloc(16), exePath: '/usr/bin/sleep', exeFileId: '',
  };
  return [
    { kind: 'signals', payload: signals },
    { kind: 'procattrs', payload: procattrs },
    { kind: 'creds', payload: creds },
    { kind: 'mm', payload: mm },
    vma(pid, HEAP),
    vma(pid, LIBC, VmaKind.FILE_PRIVATE),
  ];
}

export const DEV_NULL = 'file:dev-null';
export const PIPE_READ = 'file:pipe-read';
export const PIPE_WRITE = 'file:pipe-write';
export const EPOLL = 'file:epoll';
export const DEAD_PROC = 'file:proc-4000';
export const PIPE_INODE = 4026532100n;

function pipeEnd(id: string, flags: number): SampleRecord {
  return { kind: 'pipe', payload: { id, pipeId: PIPE_INODE, flags, fifoPath: '', bufferSize: 65536, queued: Buffer.alloc(0) } };
}

function regfile(id: string, path: string, type: RegFileType): SampleRecord {
  return { kind: 'regfile', payload: { id, type, path, flags: 0, pos: 0n, size: 0n, mode: 0o20666, dev: 5n, ino: 6n, rdev: type === RegFileType.CHARDEV ? 0x103 : 0 } };
}

/** The whole sample tree, every record in an order a dumper could write it. */
export function sampleTree(): SampleRecord[] {
  return [
    task(100, 1, { threads: [100, 101, 102] }),
    task(200, 100),
    task(300, 100, { zombie: true, threads: [300], exitStatus: 3 << 8, zombieComm: 'gone' }),
    core(100, 100), core(100, 101), core(100, 102), core(200, 200),
    ...perProcess(100),
    ...perProcess(200),
    pages(100, HEAP.start, 2),
    pages(200, HEAP.start + 0x4000n, 1, 0x2000n),
    regfile(DEV_NULL, '/dev/null', RegFileType.CHARDEV),
    regfile(DEAD_PROC, '/proc/4000', RegFileType.DIRECTORY),
    { kind: 'remap', payload: { fileId: DEAD_PROC, kind: RemapKind.PROCFS, pid: 4000 } },
    pipeEnd(PIPE_READ, 0),
    pipeEnd(PIPE_WRITE, 1),
    { kind: 'eventpoll', payload: { id: EPOLL, flags: 0, ownerPid: 100, targets: [{ fd: 3, events: 1, data: 7n }] } },
    fd(100, 0, DEV_NULL), fd(200, 0, DEV_NULL),
    fd(100, 3, PIPE_READ), fd(200, 3, PIPE_WRITE),
    fd(100, 4, EPOLL),
    fd(100, 5, DEAD_PROC),
  ];
}
