import fs from 'node:fs';
import {
  CC, IFLAG, LFLAG, OFLAG, PKT_STATUS, Termios, getTermios, setTermios, getLockedTermios, setLockedTermios,
  isTermiosZero, sameTermios, decodeTermios, TERMIOS_SIZE, isPacketMode, setPacketMode, setNonBlocking, injectInput, inputQueued, sleepMs,
} from './tty.js';

// Reading and putting back the bytes queued in a pty pair, for checkpoint (read) and for restore
// or a failed dump (put back). The kernel keeps, per direction, the receiving side's n_tty read
// buffer (at most N_TTY_BUF_SIZE - 1 bytes) and behind it the tty flip buffers (about 8 KiB of
// allocations), which the line discipline takes in as its buffer empties.

/** What a line discipline holds at most (N_TTY_BUF_SIZE - 1). */
export const LDISC_CAPACITY = 4095;

/** The bytes taken out of a pty pair by readQueued. */
export interface QueuedData {
  /** Towards the slave: the bytes the program's reads would return, in order (no EOF markers). */
  input: Buffer;
  /** Towards the master: what the terminal side would read, output processing already applied. */
  output: Buffer;
  /**
   * Canonical mode: offsets in input just past each complete line. A line that does not end in
   * '\n', VEOL or VEOL2 was ended by VEOF (an empty one is a ^D on its own). When absent, every
   * '\n' ends a line.
   */
  lineEnds?: number[];
  /**
   * input[unprocessedFrom..] were still in the flip buffers: keystrokes the line discipline has
   * not processed (not echoed, not translated). Absent: none.
   */
  unprocessedFrom?: number;
  /** A packet-mode status byte (PKT_STATUS bits) the terminal side had not read yet; 0: none. */
  packetStatus?: number;
}

const { ISIG, ICANON, IEXTEN, ECHO, ECHOE, ECHOK, ECHONL, ECHOCTL, ECHOPRT, ECHOKE, EXTPROC } = LFLAG;
const ECHOES = ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOPRT | ECHOKE;
const TRANSLATIONS = IFLAG.ISTRIP | IFLAG.INLCR | IFLAG.IGNCR | IFLAG.ICRNL | IFLAG.IUCLC | IFLAG.PARMRK | IFLAG.IXANY;
const SPECIALS = [
  CC.VINTR, CC.VQUIT, CC.VSUSP, CC.VERASE, CC.VKILL, CC.VWERASE, CC.VREPRINT, CC.VDISCARD, CC.VLNEXT,
  CC.VEOF, CC.VEOL, CC.VEOL2, CC.VSTART, CC.VSTOP,
];
const NEWLINE = 0x0a;
const RECHECKS = 3;

/**
 * Termios under which the line discipline stores bytes as they come: no echo, no signals, no
 * translations, every special character disabled. IXON stays as it was (clearing it would
 * restart output stopped by ^S); VSTART/VSTOP disabled make it inert. Changing ICANON resets
 * the line boundaries, so canonical reads keep it and only the final drain clears it.
 */
function quietTermios(t: Termios, icanon: boolean): Termios {
  const cc = t.cc.slice();
  for (const i of SPECIALS) cc[i] = 0;
  if (!icanon) cc[CC.VMIN] = cc[CC.VTIME] = 0;
  const lflag = (t.lflag & ~(ISIG | IEXTEN | ECHOES | ICANON)) | (icanon ? ICANON : 0);
  return { ...t, iflag: t.iflag & ~TRANSLATIONS, lflag, cc };
}

/** Canonical line editing applies (with EXTPROC the other side of the pty does the editing). */
function isCanonical(t: Termios): boolean {
  return (t.lflag & ICANON) !== 0 && (t.lflag & EXTPROC) === 0;
}

interface TtyState {
  termios: Termios;
  locked: Termios;
  packet: boolean;
  masterNonBlock: boolean;
  slaveNonBlock: boolean;
}

/** Saves what the caller will touch; makes both fds non-blocking and unlocks the termios. */
function takeOver(master: number, slave: number): TtyState {
  const state: TtyState = {
    termios: getTermios(slave),
    locked: getLockedTermios(slave),
    packet: isPacketMode(master),
    masterNonBlock: setNonBlocking(master, true),
    slaveNonBlock: setNonBlocking(slave, true),
  };
  // Locked bits would silently keep our temporary termios from applying.
  if (!isTermiosZero(state.locked)) setLockedTermios(slave, decodeTermios(Buffer.alloc(TERMIOS_SIZE)));
  return state;
}

function handBack(master: number, slave: number, s: TtyState, packetStatus = 0): void {
  setTermios(slave, s.termios);
  if (s.packet) {
    setPacketMode(master, true); // also clears any status our termios changes would have left
    recreatePacketStatus(slave, s.termios, packetStatus);
  }
  if (!isTermiosZero(s.locked)) setLockedTermios(slave, s.locked);
  setNonBlocking(master, s.masterNonBlock);
  setNonBlocking(slave, s.slaveNonBlock);
  if (!sameTermios(getTermios(slave), s.termios)) throw new Error('the pty termios could not be restored exactly');
}

/**
 * The kernel sets DOSTOP/NOSTOP when the flow-control state changes and IOCTL on a termios
 * change with EXTPROC: a change away and back re-creates them. The others (FLUSHREAD/WRITE,
 * STOP/START) would need a flush or a stop of the very queues just restored.
 */
function recreatePacketStatus(slave: number, t: Termios, status: number): void {
  if (status & (PKT_STATUS.DOSTOP | PKT_STATUS.NOSTOP)) {
    const flowing = (t.iflag & IFLAG.IXON) !== 0 && t.cc[CC.VSTOP] === 0x13 && t.cc[CC.VSTART] === 0x11;
    const cc = t.cc.slice();
    cc[CC.VSTART] = flowing ? 0 : 0x11;
    cc[CC.VSTOP] = flowing ? cc[CC.VSTOP] : 0x13;
    setTermios(slave, { ...t, iflag: flowing ? t.iflag : t.iflag | IFLAG.IXON, cc });
    setTermios(slave, t);
  } else if (status & PKT_STATUS.IOCTL && t.lflag & EXTPROC) {
    setTermios(slave, t);
  }
}

/** One non-blocking read: the bytes, or null when nothing is there now. */
function readNow(fd: number, buf: Buffer): Buffer | null {
  try {
    return Buffer.from(buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, null)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return null;
    throw e;
  }
}

/**
 * Reads until nothing comes. An empty read makes n_tty wait for the flip-buffer worker first,
 * and each read restarts the worker; the short re-checks cover a worker still on its way.
 * In canonical mode each read is one line (an empty one is a lone VEOF); else empty means done.
 */
function readUntilQuiet(fd: number, onRead: (bytes: Buffer) => void, emptyIsData = false): void {
  const buf = Buffer.alloc(65536);
  for (let quiet = 0; quiet < RECHECKS;) {
    const got = readNow(fd, buf);
    if (got && (got.length > 0 || emptyIsData)) {
      onRead(got);
      quiet = 0;
    } else if (++quiet < RECHECKS) {
      sleepMs(1);
    }
  }
}

function drain(fd: number): Buffer {
  const chunks: Buffer[] = [];
  readUntilQuiet(fd, (b) => chunks.push(b));
  return Buffer.concat(chunks);
}

function endsLine(t: Termios, c: number): boolean {
  return c === NEWLINE || (c !== 0 && c === t.cc[CC.VEOL])
    || (c !== 0 && (t.lflag & IEXTEN) !== 0 && c === t.cc[CC.VEOL2]);
}

/**
 * Canonical reads take the ldisc's lines one by one, and each read lets the flip-buffer worker
 * move more keystrokes in. A canonical ldisc full without a complete line discards what comes
 * (it overwrites its last byte), so keystrokes must end lines where the program's termios would:
 * '\r' under ICRNL, VEOL, VEOL2, VEOF. They are kept as typed: '\r' ends a line through VEOL
 * instead of being translated, and a VEOF, which reads drop, is added back by the caller.
 */
function lineReadingTermios(t: Termios): Termios {
  const quiet = quietTermios(t, true);
  const cr = t.iflag & IFLAG.ICRNL && !(t.iflag & IFLAG.IGNCR) ? 0x0d : 0;
  const ends = [...new Set([cr, t.cc[CC.VEOL], t.lflag & IEXTEN ? t.cc[CC.VEOL2] : 0])].filter((c) => c !== 0 && c !== NEWLINE);
  const cc = quiet.cc.slice();
  cc[CC.VEOL] = ends[0] ?? 0;
  cc[CC.VEOL2] = ends[1] ?? 0; // a third kind of line end (rare) is left out
  cc[CC.VEOF] = t.cc[CC.VEOF];
  return { ...quiet, lflag: quiet.lflag | (cc[CC.VEOL2] ? IEXTEN : 0), cc };
}

/** One read of the slave: a canonical line (complete) or what was left after them. */
interface Segment { bytes: Buffer; line: boolean }

/**
 * Splits what was read into the ldisc's share, as the program's reads would return it, and the
 * keystrokes behind it in the flip buffers, as typed. The worker only holds keystrokes back
 * while the ldisc is full, so the share is LDISC_CAPACITY bytes of ldisc storage (a VEOF line
 * end takes one) once more than that was read. A canonical ldisc without a complete line never
 * holds anything back.
 */
function splitInput(segments: Segment[], t: Termios, reading: Termios): Pick<QueuedData, 'input' | 'lineEnds' | 'unprocessedFrom'> {
  const canonical = isCanonical(t);
  const eofEnded = (s: Segment, under: Termios) => s.line && (s.bytes.length === 0 || !endsLine(under, s.bytes[s.bytes.length - 1]));
  const mayOverflow = !canonical || segments.some((s) => s.line);
  const processed: Buffer[] = [], typed: Buffer[] = [];
  const lineEnds: number[] = [];
  let stored = 0, length = 0;
  for (const seg of segments) {
    const cost = seg.bytes.length + (eofEnded(seg, t) ? 1 : 0);
    const room = mayOverflow ? Math.max(LDISC_CAPACITY - stored, 0) : Infinity;
    if (cost <= room) {
      processed.push(seg.bytes);
      length += seg.bytes.length;
      if (seg.line) lineEnds.push(length);
      stored += cost;
      continue;
    }
    const kept = Math.min(seg.bytes.length, room);
    processed.push(seg.bytes.subarray(0, kept));
    length += kept;
    stored = LDISC_CAPACITY;
    typed.push(seg.bytes.subarray(kept));
    if (eofEnded(seg, reading)) typed.push(Buffer.from([t.cc[CC.VEOF]]));
  }
  const input = Buffer.concat([...processed, ...typed]);
  return {
    input,
    ...(canonical ? { lineEnds } : {}),
    ...(length < input.length ? { unprocessedFrom: length } : {}),
  };
}

function readInput(slave: number, t: Termios): Pick<QueuedData, 'input' | 'lineEnds' | 'unprocessedFrom'> {
  const segments: Segment[] = [];
  const reading = lineReadingTermios(t);
  if (isCanonical(t)) {
    setTermios(slave, reading);
    readUntilQuiet(slave, (bytes) => segments.push({ bytes, line: true }), true);
  }
  // What is left is a partial line (canonical) or everything (raw): clear ICANON to read it.
  setTermios(slave, quietTermios(t, false));
  segments.push({ bytes: drain(slave), line: false });
  return splitInput(segments, t, reading);
}

/**
 * Takes every byte queued in the pair, both directions, out of the kernel without the line
 * discipline acting on it (no echo, signal, translation or flow control), and restores the
 * termios, locked termios, packet mode and O_NONBLOCK flags it changed. MASTER and SLAVE are
 * ferry's own fds of the pair. Reading consumes: putBackQueued returns the bytes.
 * Caller: not in a background process group of this terminal (SIGTTIN/SIGTTOU).
 */
export function readQueued(master: number, slave: number): QueuedData {
  const state = takeOver(master, slave);
  try {
    let packetStatus = 0;
    const output: Buffer[] = [];
    if (state.packet) {
      // Packet mode prefixes each read with a status byte; one read takes a pending status
      // (nonzero, alone) or data behind TIOCPKT_DATA, then plain reads take the rest.
      const first = readNow(master, Buffer.alloc(65536));
      if (first && first.length > 0) {
        if (first[0] === PKT_STATUS.DATA) output.push(first.subarray(1));
        else packetStatus = first[0];
      }
      setPacketMode(master, false);
    }
    output.push(drain(master));
    const input = readInput(slave, state.termios);
    return { ...input, output: Buffer.concat(output), packetStatus };
  } finally {
    handBack(master, slave, state);
  }
}

// Flip buffers of ptys are capped at 8192 bytes of allocation, counted as half their data (no
// flag bytes), checked before each allocation; writes of 512 bytes fill 256-byte allocations
// completely up to the cap, and one more allocation of the largest size (1792) is still allowed:
// 16384 + 3584 bytes, the most a writer can leave there.
const FLIP_SMALL_WRITES = 16384, FLIP_SMALL_WRITE = 512;

/** Writes BYTES into the flip buffers behind a full line discipline, packed as tightly as possible. */
function writeToFlip(fd: number, bytes: Buffer, what: string): void {
  let done = 0;
  for (let idle = 0; done < bytes.length;) {
    const size = done < FLIP_SMALL_WRITES ? Math.min(FLIP_SMALL_WRITE, FLIP_SMALL_WRITES - done) : bytes.length - done;
    let n = 0;
    try {
      n = fs.writeSync(fd, bytes, done, Math.min(size, bytes.length - done));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
    done += n;
    if (n > 0) idle = 0;
    else if (++idle > 200) throw new Error(`${what}: the pty took ${done} of ${bytes.length} bytes (stopped by ^S, or queues not empty?)`);
    else sleepMs(1); // the worker may still be freeing the buffer a drain left behind
  }
}

/**
 * Output goes straight into the master's line discipline (TIOCSTI: synchronous, raw, not held
 * by ^S); only what overflowed it goes through the slave, with OPOST off so ONLCR is not
 * applied a second time.
 */
function putBackOutput(master: number, slave: number, t: Termios, output: Buffer): void {
  if (output.length === 0) return;
  if (inputQueued(master) !== 0) throw new Error('putBackQueued: the terminal side of the pty still has unread output');
  const direct = output.subarray(0, LDISC_CAPACITY);
  injectInput(master, direct);
  if (inputQueued(master) !== direct.length) throw new Error('putBackQueued: the master did not take all of the output');
  if (output.length > direct.length) {
    setTermios(slave, { ...t, oflag: t.oflag & ~OFLAG.OPOST });
    writeToFlip(slave, output.subarray(direct.length), 'putBackQueued output');
  }
}

/** A byte the canonical line discipline will neither act on nor need: quotes via VLNEXT. */
function freeByte(taken: number[], preferred: number): number {
  for (let c = preferred; ; c = (c % 255) + 1) if (!taken.includes(c)) return c;
}

/**
 * Canonical put-back termios and bytes: line ends as the kernel saw them ('\n', VEOL, VEOL2,
 * VEOF), every other byte literal, quoted with VLNEXT where it would end a line.
 */
function canonicalFeed(t: Termios, input: Buffer, lineEnds: number[]): { termios: Termios; bytes: Buffer } {
  const quiet = quietTermios(t, true);
  const eol = t.cc[CC.VEOL], eol2 = t.lflag & IEXTEN ? t.cc[CC.VEOL2] : 0;
  const lnext = freeByte([0, NEWLINE, eol, eol2, t.cc[CC.VEOF]], 0x16);
  const eof = t.cc[CC.VEOF] || freeByte([0, NEWLINE, eol, eol2, lnext], 0x04);
  const cc = quiet.cc.slice();
  Object.assign(cc, { [CC.VEOF]: eof, [CC.VEOL]: eol, [CC.VEOL2]: eol2, [CC.VLNEXT]: lnext });
  const special = new Set([NEWLINE, eof, eol, eol2, lnext].filter((c) => c !== 0));
  const out: number[] = [];
  const literal = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      if (special.has(input[i])) out.push(lnext);
      out.push(input[i]);
    }
  };
  let start = 0;
  for (const end of lineEnds) {
    const terminated = end > start && endsLine(t, input[end - 1]);
    literal(start, terminated ? end - 1 : end);
    out.push(terminated ? input[end - 1] : eof);
    start = end;
  }
  literal(start, input.length);
  return { termios: { ...quiet, lflag: quiet.lflag | IEXTEN, cc }, bytes: Buffer.from(out) };
}

function newlineEnds(input: Buffer): number[] {
  const ends: number[] = [];
  for (let i = input.indexOf(NEWLINE); i >= 0; i = input.indexOf(NEWLINE, i + 1)) ends.push(i + 1);
  return ends;
}

/**
 * Program input goes into the slave's line discipline with TIOCSTI under quiet termios that
 * keep ICANON as the program has it: synchronous, so the termios can be restored at once,
 * and nothing is echoed a second time. Bytes that were still unprocessed are written to the
 * master afterwards and wait in the flip buffers, to be processed under the program's termios.
 */
function putBackInput(master: number, slave: number, t: Termios, q: QueuedData): void {
  const processedEnd = q.unprocessedFrom ?? q.input.length;
  const processed = q.input.subarray(0, processedEnd);
  if (isCanonical(t)) {
    const ends = (q.lineEnds ?? newlineEnds(q.input)).filter((e) => e <= processedEnd);
    const feed = canonicalFeed(t, processed, ends);
    setTermios(slave, feed.termios);
    injectInput(slave, feed.bytes);
    if (inputQueued(slave) !== (ends.at(-1) ?? 0)) throw new Error('putBackQueued: the slave did not take all of the input lines');
  } else {
    setTermios(slave, quietTermios(t, (t.lflag & ICANON) !== 0)); // ICANON unchanged keeps EXTPROC state
    injectInput(slave, processed);
    if (inputQueued(slave) !== processed.length) throw new Error('putBackQueued: the slave did not take all of the input');
  }
  setTermios(slave, t);
  if (processedEnd < q.input.length) writeToFlip(master, q.input.subarray(processedEnd), 'putBackQueued input');
}

/**
 * Puts bytes taken by readQueued back into a pair, the same one or a new one restored with the
 * same termios, so that the program and the terminal side read exactly what they would have:
 * a partial line stays partial (the user can finish it), nothing is echoed again, output is not
 * processed twice. Both queues must be empty (as readQueued or a new pair leaves them). Every
 * tty setting touched is restored; a pending packet-mode status is re-created where the kernel
 * allows (DOSTOP/NOSTOP, IOCTL).
 */
export function putBackQueued(master: number, slave: number, queued: QueuedData): void {
  const state = takeOver(master, slave);
  try {
    if (state.packet) setPacketMode(master, false); // our termios changes would post statuses
    putBackOutput(master, slave, state.termios, queued.output);
    putBackInput(master, slave, state.termios, queued);
  } finally {
    handBack(master, slave, state, queued.packetStatus ?? 0);
  }
}
