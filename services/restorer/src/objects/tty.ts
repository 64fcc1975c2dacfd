import fs from 'node:fs';
import type { Tty, TtyFile } from '@ferry/proto';
import {
  openPtyWithIndex, openMaster, openPeer, decodeTermios, setTermios, setLockedTermios, setWinsize, setPacketMode,
  setPtyLocked, setExclusive, putBackQueued, isTermiosZero, type QueuedData,
} from '@ferry/sys';
import { SYS, AT_FDCWD, TIOC } from '@ferry/sys';
import type { SharedContext } from '../shared-context.js';
import type { RestoringTask } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { groupBy } from '../kind-records.js';
import { reopenDevTty } from './ttyfile.js';

const O_NOCTTY = 0o400, O_CLOEXEC = 0o2000000;

function queuedOf(t: Tty): QueuedData {
  return {
    input: Buffer.from(t.queuedInput),
    output: Buffer.from(t.queuedOutput),
    ...(t.lineEndsKnown ? { lineEnds: t.lineEnds } : {}),
    ...(t.hasUnprocessed ? { unprocessedFrom: t.unprocessedFrom } : {}),
    packetStatus: t.packetStatus,
  };
}

/** A slave open file description of its own for each slave file of the image. */
function openSlaves(master: number, files: TtyFile[], opened: Map<string, number>): void {
  for (const f of files) if (!f.master && !f.devTty) opened.set(f.id, openPeer(master, f.flags | O_NOCTTY | O_CLOEXEC));
}

/**
 * The pair comes back at its index with its settings, then its queued bytes (settings first, so
 * they are put back under the program's own termios), then what restricts later changes: locked
 * termios, pty lock, exclusive mode.
 */
function restorePair(t: Tty, files: TtyFile[], opened: Map<string, number>): void {
  const master = openPtyWithIndex(t.index);
  let ours = -1;
  try {
    setPtyLocked(master, false);
    ours = openPeer(master);
    setTermios(ours, decodeTermios(Buffer.from(t.termios)));
    setWinsize(master, { rows: t.rows, cols: t.cols, xpixel: t.xpixel, ypixel: t.ypixel });
    setPacketMode(master, t.packetMode);
    putBackQueued(master, ours, queuedOf(t));
    const locked = decodeTermios(Buffer.from(t.lockedTermios));
    if (!isTermiosZero(locked)) setLockedTermios(ours, locked);
    fs.chownSync(`/dev/pts/${t.index}`, t.uid, t.gid);
    fs.chmodSync(`/dev/pts/${t.index}`, t.mode);
    openSlaves(master, files, opened);
    if (t.exclusive) setExclusive(ours, true);
    if (t.locked) setPtyLocked(master, true);
    const masterFile = files.find((f) => f.master);
    if (masterFile) opened.set(masterFile.id, master);
    else fs.closeSync(master);
  } catch (e) {
    if (![...opened.values()].includes(master)) fs.closeSync(master);
    throw e;
  } finally {
    if (ours >= 0) fs.closeSync(ours);
  }
}

/** A pair whose master was closed: slaves opened on a fresh pair, which then loses its master. */
function restoreHungPair(t: Tty, files: TtyFile[], opened: Map<string, number>): void {
  const master = fs.existsSync(`/dev/pts/${t.index}`) ? openMaster() : openPtyWithIndex(t.index);
  try {
    setPtyLocked(master, false);
    openSlaves(master, files, opened);
  } finally {
    fs.closeSync(master);
  }
}

/** A shell job's terminal: its slave files become ferry's own terminal, where the job goes on. */
function attachToOurTerminal(t: Tty, files: TtyFile[], ctx: SharedContext, opened: Map<string, number>): void {
  if (!ctx.shellJob) throw new Error(`the checkpoint is a shell job (its terminal /dev/pts/${t.index} was outside the tree): restore it with -j/--shell-job`);
  let ours: string;
  try {
    ours = fs.readlinkSync('/proc/self/fd/0');
  } catch {
    ours = '';
  }
  if (!/^\/dev\/pts\/\d+$/.test(ours)) throw new Error('a shell job is restored onto the terminal ferry runs in, and ferry\'s stdin is no terminal');
  for (const f of files) if (!f.devTty) opened.set(f.id, fs.openSync(ours, f.flags | O_NOCTTY | O_CLOEXEC));
}

/** Every pty pair of the image, opened by ferry; tasks take their fds from these (fd.ts). */
function openTtys(ctx: SharedContext, opened: Map<string, number>): void {
  const files = ctx.image.byKind('ttyfile');
  const ttys = ctx.image.byKind('tty');
  for (const f of files) if (!ttys.some((t) => t.index === f.index)) throw new Error(`image: tty file ${f.id} is on pty ${f.index}, which the image does not have`);
  for (const t of ttys) {
    const mine = files.filter((f) => f.index === t.index && !ctx.inherited.has(f.id));
    if (mine.filter((f) => f.master).length > 1) throw new Error(`image: pty ${t.index} has two master files`);
    if (t.external) attachToOurTerminal(t, mine, ctx, opened);
    else if (t.hung) restoreHungPair(t, mine, opened);
    else restorePair(t, mine, opened);
  }
}

const O_RDWR = 2;

/**
 * Inside the session leader, once every group exists: the terminal becomes its controlling tty
 * again, with the foreground group it had. Through a descriptor of its own, closed afterwards.
 */
function takeControllingTerminal(leader: RestoringTask, t: Tty): void {
  const inj = leader.injector;
  inj.resetScratch();
  const fd = inj.call(`open /dev/pts/${t.index}`, SYS.openat, AT_FDCWD, inj.putString(`/dev/pts/${t.index}`), O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  try {
    inj.call(`TIOCSCTTY of /dev/pts/${t.index}`, SYS.ioctl, fd, TIOC.TIOCSCTTY, 0);
    if (t.pgrp !== 0) inj.call(`TIOCSPGRP ${t.pgrp} on /dev/pts/${t.index}`, SYS.ioctl, fd, TIOC.TIOCSPGRP, inj.put(Buffer.from(Int32Array.of(t.pgrp).buffer)));
  } finally {
    inj.raw(SYS.close, fd);
  }
}

/** Pty pairs (tty records) and the files open on them (ttyfile records), /dev/tty included. */
export const ttyKind: ObjectKind = {
  name: 'tty',
  files: (image) => image.byKind('ttyfile').map((f) => (f.devTty ? { id: f.id, openedByTask: true } : { id: f.id, name: f.master ? '/dev/ptmx' : `/dev/pts/${f.index}` })),
  check(image, tree) {
    const files = new Map(image.byKind('ttyfile').map((f) => [f.id, f]));
    const devTtyFdsOf = groupBy(image.byKind('fd').filter((f) => files.get(f.fileId)?.devTty), (f) => f.pid);
    return {
      open: openTtys,
      participants: {
        // Terminals first: TIOCSPGRP needs every group in place, /dev/tty needs the terminal.
        RESTORE_SIGCHLD: (built) => [
          ...image.byKind('tty').filter((t) => t.sid !== 0 && built.has(t.sid)).map((t) => ({
            name: `terminal ${t.index}`,
            work: () => takeControllingTerminal(built.task(t.sid), t),
          })),
          ...tree.live.filter((t) => devTtyFdsOf.has(t.pid)).map((t) => ({
            name: `/dev/tty of task ${t.pid}`,
            work: () => reopenDevTty(built.task(t.pid), devTtyFdsOf.get(t.pid) ?? [], files),
          })),
        ],
      },
    };
  },
};
