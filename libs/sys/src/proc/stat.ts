import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** The controlling terminal's device number (0: none). */
  ttyNr: number;
  /** The terminal's foreground process group (-1: no terminal). */
  ttyPgrp: number;
  /** The kernel's PF_* flags (PF_EXITING: it is on its way out). */
  flags: number;
  numThreads: number;
  startCode: bigint;
  endCode: bigint;
  startStack: bigint;
  startData: bigint;
  endData: bigint;
  startBrk: bigint;
  argStart: bigint;
  argEnd: bigint;
  envStart: bigint;
  envEnd: bigint;
  exitSignal: number;
  /** For a zombie: the wait status its parent will collect. */
  exitCode: number;
}

/** /proc/PID/stat; the comm may hold spaces and parentheses, so fields count from the last ')'. */
export function readStat(pid: number, tid = pid): ProcStat {
  const text = fs.readFileSync(tid === pid ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const f = text.slice(close + 2).trim().split(' ');
  // f[0] is field 3 (state) of proc(5).
  const at = (field: number) => f[field - 3]!;
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: at(3),
    ppid: Number(at(4)),
    pgid: Number(at(5)),
    sid: Number(at(6)),
    ttyNr: Number(at(7)),
    ttyPgrp: Number(at(8)),
    flags: Number(at(9)),
    numThreads: Number(at(20)),
    startCode: BigInt(at(26)),
    endCode: BigInt(at(27)),
    startStack: BigInt(at(28)),
    exitSignal: Number(at(38)),
    startData: BigInt(at(45)),
    endData: BigInt(at(46)),
    startBrk: BigInt(at(47)),
    argStart: BigInt(at(48)),
    argEnd: BigInt(at(49)),
    envStart: BigInt(at(50)),
    envEnd: BigInt(at(51)),
    exitCode: Number(at(52)),
  };
}

export function readStatus(pid: number): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return map;
}

export function listThreads(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => (a === pid ? -1 : b === pid ? 1 : a - b));
}

export function processExists(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`);
}

/**
 * Signals whose disposition is not plain SIG_DFL (caught or ignored), from /proc/PID/status, as
 * signal numbers. Bit N-1 of the masks is signal N.
 */
export function nonDefaultSignals(pid: number): number[] {
  const status = readStatus(pid);
  const mask = BigInt(`0x${status.get('SigCgt') ?? '0'}`) | BigInt(`0x${status.get('SigIgn') ?? '0'}`);
  const out: number[] = [];
  for (let signo = 1; signo <= 64; signo++) if ((mask >> BigInt(signo - 1)) & 1n) out.push(signo);
  return out;
}
