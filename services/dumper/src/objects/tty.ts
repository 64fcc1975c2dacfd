import fs from 'node:fs';
import type { Tty, TtyFile } from '@ferry/proto';
import {
  copyFdOf, encodeTermios, getTermios, getLockedTermios, getWinsize, isPtyLocked, isPacketMode, isExclusive,
  terminalSession, foregroundGroup, openPeer, readQueued, putBackQueued, readStat, type QueuedData,
} from '@ferry/sys';
import type { Holding, TreeCollector } from '../collector.js';
import type { SeenFiles } from './file-kinds.js';
import { controllingPty } from './ttyfile.js';

type Holder = SeenFiles[number] & { file: { kind: 'ttyfile'; payload: TtyFile } };

/** The pty pairs of a dump, with ferry's own fds on those it read the queues of. */
interface DumpedTtys {
  records: Tty[];
  /** Gives every queued byte back, for a tree that goes on running (failed dump, --leave-running). */
  putBack(): void;
  close(): void;
}

interface OpenPair { master: number; slave: number; queued: QueuedData | null }

const noState = { termios: Buffer.alloc(0), lockedTermios: Buffer.alloc(0), rows: 0, cols: 0, xpixel: 0, ypixel: 0, packetMode: false, locked: false, exclusive: false, uid: 0, gid: 0, mode: 0, sid: 0, pgrp: 0, hung: false, queuedInput: Buffer.alloc(0), queuedOutput: Buffer.alloc(0), external: false, lineEndsKnown: false, lineEnds: [], hasUnprocessed: false, unprocessedFrom: 0, packetStatus: 0 };

function orZero(read: () => number): number {
  try {
    return read();
  } catch {
    return 0; // ENOTTY: no session, no foreground group
  }
}

/** A pair whose master no task of the tree holds: hung (the master was closed), or a shell job's terminal. */
function pairWithoutMaster(index: number, holders: Holder[], shellJob: boolean): Tty {
  if (holders.some((h) => h.info.target.endsWith(' (deleted)'))) return { ...noState, index, hung: true };
  if (shellJob) return { ...noState, index, external: true };
  const h = holders[0]!;
  const whose = controllingPty(h.pid) === index ? `the controlling terminal of session ${readStat(h.pid).sid}` : 'a terminal';
  throw new Error(`pid ${h.pid} holds /dev/pts/${index}, ${whose}, whose master is outside the dumped tree: dump it as a shell job with -j/--shell-job`);
}

/** Settings and queued bytes of a pair whose master the tree holds; the queues are taken out. */
function pairWithMaster(index: number, master: Holder, holders: Holder[], opened: OpenPair[]): Tty {
  const m = copyFdOf(master.pid, master.info.fd);
  let slave = -1;
  try {
    const locked = isPtyLocked(m);
    // A locked pair cannot be opened again: use a slave a task holds, if any does.
    const slaveHolder = holders.find((h) => !h.file.payload.master && !h.file.payload.devTty);
    slave = !locked ? openPeer(m) : slaveHolder ? copyFdOf(slaveHolder.pid, slaveHolder.info.fd) : -1;
    const st = fs.statSync(`/dev/pts/${index}`);
    const winsize = getWinsize(m);
    const tty: Tty = {
      ...noState,
      index,
      termios: encodeTermios(getTermios(m)),
      lockedTermios: encodeTermios(getLockedTermios(m)),
      ...winsize,
      packetMode: isPacketMode(m),
      locked,
      exclusive: slave >= 0 && isExclusive(slave),
      uid: st.uid,
      gid: st.gid,
      mode: st.mode & 0o7777,
      sid: orZero(() => terminalSession(m)),
      pgrp: orZero(() => foregroundGroup(m)),
    };
    const queued = slave >= 0 ? readQueued(m, slave) : null;
    opened.push({ master: m, slave, queued });
    if (!queued) return tty;
    return {
      ...tty,
      queuedInput: queued.input,
      queuedOutput: queued.output,
      lineEndsKnown: queued.lineEnds !== undefined,
      lineEnds: queued.lineEnds ?? [],
      hasUnprocessed: queued.unprocessedFrom !== undefined,
      unprocessedFrom: queued.unprocessedFrom ?? 0,
      packetStatus: queued.packetStatus ?? 0,
    };
  } catch (e) {
    if (!opened.some((p) => p.master === m)) {
      fs.closeSync(m);
      if (slave >= 0) fs.closeSync(slave);
    }
    throw e;
  }
}

function closePairs(opened: OpenPair[]): void {
  for (const p of opened.splice(0)) {
    fs.closeSync(p.master);
    if (p.slave >= 0) fs.closeSync(p.slave);
  }
}

/**
 * Every pty pair the tree's descriptors point at, read once each while the tree is frozen. The
 * queued bytes are taken out of the kernel to be dumped: putBack returns them if the tree goes on.
 */
function collectTtys(seen: SeenFiles, shellJob: boolean): DumpedTtys {
  const holders = seen.filter((s): s is Holder => s.file.kind === 'ttyfile');
  const indexes = [...new Set(holders.map((h) => h.file.payload.index))].sort((a, b) => a - b);
  const opened: OpenPair[] = [];
  const records: Tty[] = [];
  const putBack = () => {
    for (const p of opened) if (p.queued) putBackQueued(p.master, p.slave, p.queued);
  };
  try {
    for (const index of indexes) {
      const mine = holders.filter((h) => h.file.payload.index === index);
      const master = mine.find((h) => h.file.payload.master);
      records.push(master ? pairWithMaster(index, master, mine, opened) : pairWithoutMaster(index, mine, shellJob));
    }
  } catch (e) {
    putBack();
    closePairs(opened);
    throw e;
  }
  return { records, putBack, close: () => closePairs(opened) };
}

/** The queued bytes stay out of the kernel while the tree's fate is open; they go back if it runs on. */
function holdingOf(ttys: DumpedTtys): Holding {
  return {
    release(fate) {
      if (fate === 'resume') ttys.putBack();
      ttys.close();
    },
    undo() {
      try {
        ttys.putBack();
      } finally {
        ttys.close();
      }
    },
  };
}

/** After every task: a pair's state is read once, with all its holders known. */
export const ttyCollector: TreeCollector = {
  name: 'terminals',
  async collect(dump, sink) {
    const ttys = collectTtys(dump.files.seen, dump.shellJob);
    const holding = holdingOf(ttys);
    try {
      for (const tty of ttys.records) await sink.put('tty', `tty:${tty.index}`, tty);
    } catch (e) {
      holding.undo();
      throw e;
    }
    return holding;
  },
};
