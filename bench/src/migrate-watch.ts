// What the migrate part watches from outside while a migration runs, every 20 ms: the peak
// resident memory (VmHWM) and the CPU time of each service's process, what grows (pages arriving
// at the image server and at b's fetched copy, the tree's memory on b), the first moment something
// becomes true, and when a presence key in Redis was renewed (Renewals). Times are performance.now()
// of this process, as are those of the lines the services print (Lines).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { Redis, type RedisOptions } from 'ioredis';

const EVERY_MS = 20;
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** A field of /proc/PID/status in kB (VmHWM: peak resident memory so far), or undefined if it is gone. */
export function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user and system, every thread) a process has used so far, in ms. */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/**
 * A role's processes: the highest VmHWM read; per pid the CPU time at its first and last sample;
 * and at every sample the CPU time all of them had used since they were first seen.
 */
export interface Peak { kib: number; cpu: Map<number, { first: number; last: number }>; used: [number, number][] }

/** CPU ms a role's processes used while they were watched. */
export function cpuUsed(p: Peak): number {
  return [...p.cpu.values()].reduce((n, c) => n + c.last - c.first, 0);
}

/** CPU ms a role's processes used between FROM and TO (performance.now()), to the sample. */
export function cpuBetween(p: Peak, from: number, to: number): number {
  const at = (t: number) => p.used.reduce((v, [st, u]) => (st <= t ? u : v), 0);
  return at(to) - at(from);
}

/** A file's growth: when it first had bytes, when it last grew, and its size then. */
export interface Growth { first?: number; last?: number; bytes: number }

export class Watch {
  readonly peaks = new Map<string, Peak>();
  readonly growth = new Map<string, Growth>();
  readonly moments = new Map<string, number>();
  private readonly roles: [string, () => number | undefined][] = [];
  private readonly sizes: [string, () => number | undefined][] = [];
  private readonly conditions: [string, () => boolean][] = [];
  private readonly written: { name: string; file: () => string | undefined; since: string; mtime?: number }[] = [];
  private timer?: NodeJS.Timeout;

  /** Follows the peak memory of the process PID() names (looked up again at every sample). */
  process(role: string, pid: () => number | undefined): this {
    this.roles.push([role, pid]);
    this.peaks.set(role, { kib: 0, cpu: new Map(), used: [] });
    return this;
  }

  /** Follows the size of the file FILE() names, once it exists. */
  file(name: string, file: () => string | undefined): this {
    return this.size(name, () => {
      const f = file();
      return f === undefined ? undefined : fs.statSync(f).size;
    });
  }

  /**
   * Follows writes into the file FILE() names once the moment SINCE was seen, by its mtime: a
   * receiver that made room for the pages beforehand (zeros, on tmpfs) writes them in place, so
   * its size says nothing. The growth's bytes are the file's size at its last write.
   */
  writes(name: string, file: () => string | undefined, since: string): this {
    this.written.push({ name, file, since });
    this.growth.set(name, { bytes: 0 });
    return this;
  }

  /** Follows the growth of what SIZE() measures (bytes). */
  size(name: string, size: () => number | undefined): this {
    this.sizes.push([name, size]);
    this.growth.set(name, { bytes: 0 });
    return this;
  }

  /** Notes the first sample at which CHECK() holds. */
  when(name: string, check: () => boolean): this {
    this.conditions.push([name, check]);
    return this;
  }

  start(): this {
    this.timer = setInterval(() => this.sample(), EVERY_MS);
    this.sample();
    return this;
  }

  /** One last sample, then no more. */
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  private sample(): void {
    const now = performance.now();
    for (const [role, pidOf] of this.roles) {
      const pid = safely(pidOf);
      const kib = pid === undefined ? undefined : statusKiB(pid, 'VmHWM');
      const cpu = pid === undefined ? undefined : cpuMs(pid);
      if (pid === undefined || kib === undefined || cpu === undefined) continue;
      const peak = this.peaks.get(role)!;
      peak.kib = Math.max(peak.kib, kib);
      const seen = peak.cpu.get(pid);
      if (seen) seen.last = cpu;
      else peak.cpu.set(pid, { first: cpu, last: cpu });
      peak.used.push([now, cpuUsed(peak)]);
    }
    for (const [name, sizeOf] of this.sizes) {
      const size = safely(sizeOf) ?? 0;
      const g = this.growth.get(name)!;
      if (size > g.bytes) {
        g.first ??= now;
        g.last = now;
        g.bytes = size;
      }
    }
    for (const w of this.written) {
      const f = safely(w.file);
      const st = f === undefined ? undefined : safely(() => fs.statSync(f));
      if (!st) continue;
      const g = this.growth.get(w.name)!;
      if (this.moments.has(w.since) && w.mtime !== undefined && st.mtimeMs !== w.mtime) {
        g.first ??= now;
        g.last = now;
      }
      if (g.last !== undefined) g.bytes = st.size;
      w.mtime = st.mtimeMs;
    }
    for (const [name, check] of this.conditions) {
      if (!this.moments.has(name) && safely(check)) this.moments.set(name, now);
    }
  }
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The lines a process prints, each with the time it arrived here. */
export class Lines {
  readonly lines: { t: number; line: string }[] = [];
  private partial = '';

  constructor(stream: Readable) {
    stream.on('data', (d: Buffer) => {
      const t = performance.now();
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop()!;
      for (const line of parts) this.lines.push({ t, line });
    });
  }

  /** The messages of its pino JSON lines (-v), with their times of arrival. */
  messages(since = 0): { t: number; msg: string }[] {
    return this.lines.filter((l) => l.t >= since && l.line.startsWith('{')).flatMap(({ t, line }) => {
      try {
        const msg = (JSON.parse(line) as { msg?: unknown }).msg;
        return typeof msg === 'string' ? [{ t, msg }] : [];
      } catch {
        return [];
      }
    });
  }

  /** The first message since SINCE that matches RE: its match and time, or undefined. */
  find(re: RegExp, since = 0): { t: number; m: RegExpExecArray } | undefined {
    for (const { t, msg } of this.messages(since)) {
      const m = re.exec(msg);
      if (m) return { t, m };
    }
    return undefined;
  }
}

/**
 * When a presence key (an agent's, see @ferry/agent's presence.ts) was renewed, read from outside every
 * 20 ms through its remaining time to live: a gap longer than the renewal period is the owner's
 * event loop held up; the key gone is what makes the other side give up on it.
 */
export class Renewals {
  readonly at: number[] = [];
  /** When the key was first seen missing, if it was. */
  expiredAt?: number;
  private readonly client: Redis;
  private running = false;
  private done?: Promise<void>;

  constructor(redis: RedisOptions, private readonly key: string) {
    this.client = new Redis({ ...redis, maxRetriesPerRequest: 1 });
    this.client.on('error', () => {});
  }

  start(): this {
    this.running = true;
    this.done = (async () => {
      let previous = -1;
      while (this.running) {
        const ttl = await this.client.pttl(this.key).catch(() => -3);
        const now = performance.now();
        if (ttl === -2) this.expiredAt ??= now;
        else if (ttl > previous + EVERY_MS) this.at.push(now);
        previous = ttl;
        await new Promise((r) => setTimeout(r, EVERY_MS));
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.client.disconnect();
  }

  /** The longest time between renewals in [FROM, TO] (TO itself ends the last gap): its start and length. */
  longestGap(from: number, to: number): { from: number; ms: number } {
    const times = [...this.at.filter((t) => t >= from && t <= to), to];
    let best = { from, ms: 0 };
    for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > best.ms) best = { from: times[i - 1]!, ms: times[i]! - times[i - 1]! };
    return best;
  }
}
