import type { Injector } from './inject.js';
import type { ProcMem } from './mem.js';
import { SysError, isSyscallError } from './errors.js';

// One ptrace stop per injected syscall costs two waits and a register round trip each way; a
// restore makes thousands of calls (a socket, its descriptor moved, closed...). So the scratch
// page carries a runner: it walks a table of calls, each result stored beside it, and traps at
// the end or at the first failure. Arguments may be read from earlier results (an fd the table
// made) so that a whole group of dependent calls runs in one stop.
//
// The runner (x86-64; rbx = the table):
//   loop: rax = entry.nr; if rax == -1 goto done
//         for i in 0..5: arg[i] = entry.arg[i]; if flags bit i: arg[i] = *(int32 *)arg[i]
//         if flags & SKIP_IF_SAME and arg0 == arg1: goto next
//         syscall; entry.result = rax
//         if !(flags & MAY_FAIL) and rax in [-4095, -1]: goto done
//   next: rbx += 72; goto loop
//   done: int3
const RUNNER = Buffer.from(
  '488b034883f8ff0f84920000004c8b6338488b7b0849f7c401000000740348633f488b731049f7c4020000007403486336' +
  '488b531849f7c40400000074034863124c8b532049f7c40800000074034d63124c8b432849f7c41000000074034d6300' +
  '4c8b4b3049f7c42000000074034d630949f7c44000000074054839f774170f054889434049f7c4800000007508483d01' +
  'f0ffff73094883c348e961ffffffcc',
  'hex',
);
const SYSCALL_INSN = Buffer.from([0x0f, 0x05, 0xcc, 0xcc]);
const RUNNER_OFFSET = 16;
/** Bytes of the scratch page the code takes: arguments go above. */
export const SCRATCH_CODE_BYTES = 256;

const ENTRY = 72;
const SKIP_IF_SAME = 64;
const MAY_FAIL = 128;
/** What a result slot holds until its call runs: a call skipped or never reached keeps it. */
export const NOT_RUN = 0x7fff_ffff_ffff_fff0n;

/** Writes the syscall instruction and the runner at the start of a scratch page; returns the syscall's address. */
export function writeScratchCode(mem: ProcMem, scratch: bigint): bigint {
  mem.write(scratch, SYSCALL_INSN);
  mem.write(scratch + BigInt(RUNNER_OFFSET), RUNNER);
  return scratch;
}

/** Makes INJ run its tables with the runner a scratch page at SCRATCH holds (see writeScratchCode); single calls keep their syscall instruction. */
export function useScratchCode(inj: Injector, scratch: bigint): void {
  inj.batchAddr = scratch + BigInt(RUNNER_OFFSET);
  inj.scratchBase = SCRATCH_CODE_BYTES;
}

/**
 * An argument: a value; the result of call K of the same group ({ result: K }, as an int: an fd);
 * bytes put in the task's memory for the call ({ data }); room the kernel fills ({ out: length },
 * read back as the call's `out`); or an int the kernel wrote into call K's room ({ outOf: K, offset }).
 */
export type BatchArg = bigint | number | { result: number } | { data: Buffer } | { out: number } | { outOf: number; offset: number };

export interface BatchCall {
  /** Names the call in the error when it fails. */
  name: string;
  nr: number;
  args: BatchArg[];
  /** Not made when its first two arguments are equal (dup3 of an fd already where it goes). */
  skipIfSame?: boolean;
  /** Its failure does not stop the table (a close whose answer changes nothing). */
  mayFail?: boolean;
}

export interface CallResult {
  /** The kernel's return value, or NOT_RUN. */
  ret: bigint;
  /** What the kernel wrote into the call's { out } room. */
  out?: Buffer;
}

/** A call of the table failed: what ran before it (its group too, partly) is in `done`. */
export class BatchError extends SysError {
  constructor(call: string, errno: number, detail: string, readonly done: CallResult[][]) {
    super(call, errno, detail);
  }
}

const align16 = (n: number) => (n + 15) & ~15;

/** Bytes a group takes in the table region: its entries and their data and out rooms. */
function groupBytes(group: BatchCall[]): number {
  let bytes = group.length * ENTRY;
  for (const c of group) for (const a of c.args) {
    if (typeof a === 'object' && 'data' in a) bytes += align16(a.data.length);
    else if (typeof a === 'object' && 'out' in a) bytes += align16(a.out);
  }
  return bytes;
}

/** Where each call's entry and its out room (offset and length) sit in the table region. */
interface Placed { group: BatchCall[]; entryAt: number[]; outAt: ({ at: number; length: number } | null)[] }

/** Writes V as a 64-bit word; numbers stay numbers (user addresses are below 2^47), the common case. */
function put64(buf: Buffer, at: number, v: number | bigint): void {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
    buf.writeUInt32LE(v % 0x1_0000_0000, at);
    buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), at + 4);
  } else buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)), at);
}

/** Lays GROUPS out in BUF (entries first, then rooms), addresses relative to BASE. */
function layOut(groups: BatchCall[][], buf: Buffer, baseAddr: bigint): Placed[] {
  const base = Number(baseAddr);
  const entries = groups.reduce((n, g) => n + g.length, 0);
  let room = align16(entries * ENTRY + 8);
  let at = 0;
  const placed: Placed[] = [];
  for (const group of groups) {
    const p: Placed = { group, entryAt: [], outAt: [] };
    for (const c of group) {
      p.entryAt.push(at);
      p.outAt.push(null);
      at += ENTRY;
    }
    group.forEach((c, i) => {
      const e = p.entryAt[i]!;
      let flags = (c.skipIfSame ? SKIP_IF_SAME : 0) | (c.mayFail ? MAY_FAIL : 0);
      if (c.args.length > 6) throw new Error(`injected call ${c.name} has more than 6 arguments`);
      c.args.forEach((a, j) => {
        let value: number | bigint;
        if (typeof a !== 'object') value = a;
        else if ('result' in a) {
          if (a.result >= i) throw new Error(`injected call ${c.name} takes a result of a call not before it`);
          value = base + p.entryAt[a.result]! + 64;
          flags |= 1 << j;
        } else if ('outOf' in a) {
          const o = p.outAt[a.outOf];
          if (a.outOf >= i || o == null) throw new Error(`injected call ${c.name} reads the room of a call not before it`);
          value = base + o.at + a.offset;
          flags |= 1 << j;
        } else if ('data' in a) {
          a.data.copy(buf, room);
          value = base + room;
          room += align16(a.data.length);
        } else {
          buf.fill(0, room, room + a.out);
          p.outAt[i] = { at: room, length: a.out };
          value = base + room;
          room += align16(a.out);
        }
        put64(buf, e + 8 + 8 * j, value);
      });
      put64(buf, e, c.nr);
      put64(buf, e + 56, flags);
      put64(buf, e + 64, NOT_RUN);
    });
    placed.push(p);
  }
  put64(buf, at, -1);
  return placed;
}

/** Runs one table; returns each group's results, throwing BatchError at a failed call. */
function runTable(inj: Injector, groups: BatchCall[][], bytes: number): CallResult[][] {
  inj.resetScratch();
  const base = inj.claim(bytes);
  const buf = Buffer.alloc(bytes);
  const placed = layOut(groups, buf, base);
  inj.mem.write(base, buf);
  inj.runUntilTrap(inj.batchAddr!, base, inj.batchAddr! + BigInt(RUNNER.length - 1));
  const back = inj.mem.read(base, bytes);
  const done: CallResult[][] = [];
  for (const p of placed) {
    const results: CallResult[] = [];
    done.push(results);
    for (let i = 0; i < p.group.length; i++) {
      const c = p.group[i]!;
      const ret = back.readBigInt64LE(p.entryAt[i]! + 64);
      const o = p.outAt[i];
      const out = o == null ? undefined : Buffer.from(back.subarray(o.at, o.at + o.length));
      results.push({ ret, out });
      if (ret !== NOT_RUN && isSyscallError(ret) && !c.mayFail) throw new BatchError(c.name, Number(-ret), `in task ${inj.pid}`, done);
    }
  }
  return done;
}

/**
 * Runs GROUPS of calls in INJ's task, in order, as many groups to a stop as its scratch space
 * holds. Results refer only to calls of their own group. The first failed call stops it all
 * (BatchError, with what was done); a task whose scratch page has no runner makes each call alone.
 */
export function runCalls(inj: Injector, groups: BatchCall[][]): CallResult[][] {
  if (!inj.scratch) throw new Error('injector has no scratch memory');
  const room = inj.scratch.size - inj.scratchBase - 16;
  const all: CallResult[][] = [];
  let chunk: BatchCall[][] = [];
  let bytes = 8;
  const flush = () => {
    if (chunk.length === 0) return;
    try {
      if (inj.batchAddr !== null) all.push(...runTable(inj, chunk, bytes));
      else for (const g of chunk) all.push(oneByOne(inj, g));
    } catch (e) {
      if (e instanceof BatchError) throw new BatchError(e.call, e.errno, `in task ${inj.pid}`, [...all, ...e.done]);
      throw e;
    }
    chunk = [];
    bytes = 8;
  };
  for (const g of groups) {
    const need = groupBytes(g) + 16;
    if (need + 8 > room) throw new Error(`a group of ${g.length} injected calls (${g[0]?.name}) needs more than the scratch space`);
    if (bytes + need > room) flush();
    chunk.push(g);
    bytes += need;
  }
  flush();
  return all;
}

/** The table's meaning, one injected syscall at a time (an injector without the runner). */
function oneByOne(inj: Injector, group: BatchCall[]): CallResult[] {
  inj.resetScratch();
  const results: CallResult[] = [];
  const outs: (bigint | null)[] = [];
  const int32At = (addr: bigint) => BigInt(inj.mem.read(addr, 4).readInt32LE(0));
  for (const c of group) {
    let out: { addr: bigint; length: number } | undefined;
    const args = c.args.map((a) => {
      if (typeof a !== 'object') return BigInt(a);
      if ('result' in a) return BigInt(Number(BigInt.asIntN(32, results[a.result]!.ret)));
      if ('outOf' in a) return int32At(outs[a.outOf]! + BigInt(a.offset));
      if ('data' in a) return inj.put(a.data);
      out = { addr: inj.reserve(a.out), length: a.out };
      return out.addr;
    });
    outs.push(out ? out.addr : null);
    if (c.skipIfSame && args[0] === args[1]) {
      results.push({ ret: NOT_RUN });
      continue;
    }
    const ret = inj.raw(c.nr, ...args);
    results.push({ ret, out: out ? inj.mem.read(out.addr, out.length) : undefined });
    if (isSyscallError(ret) && !c.mayFail) throw new BatchError(c.name, Number(-ret), `in task ${inj.pid}`, [results]);
  }
  return results;
}

/** runCalls for calls that need nothing of each other: each its own group, the results in order. */
export function runEach(inj: Injector, calls: BatchCall[]): CallResult[] {
  return runCalls(inj, calls.map((c) => [c])).map((g) => g[0]!);
}
