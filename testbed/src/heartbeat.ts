// The heartbeat workload (workloads/heartbeat.c), and checks that it runs on exactly as it did
// when first looked at.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workload } from './build.js';
import { launch } from './processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function statusField(pid: number, tid: number, field: string): string {
  const line = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return line!.slice(field.length + 1).trim();
}

interface Beat { main: number; waits: number; spins: number }

/** What must not change: each thread's blocked mask, and the memory map. */
interface Shape { masks: Record<number, string>; maps: string }

export class Heartbeat {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-heartbeat-'));
  private readonly out = path.join(this.dir, 'out');
  readonly pid: number;
  private baseline!: Shape;

  private constructor() {
    // Its own session, no descriptors of ours: nothing outside the tree for the dump to refuse.
    this.pid = launch([workload('heartbeat', ['-pthread', '-Werror']), this.out], { newSession: true });
  }

  static async start(): Promise<Heartbeat> {
    const hb = new Heartbeat();
    await waitUntil('a first heartbeat', () => hb.lastBeat());
    hb.baseline = hb.shape();
    return hb;
  }

  private lines(): string[] {
    return fs.existsSync(this.out) ? fs.readFileSync(this.out, 'utf8').split('\n') : [];
  }

  private lastBeat(): Beat | undefined {
    const line = this.lines().filter((l) => l.startsWith('beat ')).at(-1);
    if (!line) return undefined;
    const [main, waits, spins] = line.split(' ').slice(1).map(Number) as [number, number, number];
    return { main, waits, spins };
  }

  private shape(): Shape {
    const masks: Record<number, string> = {};
    for (const tid of fs.readdirSync(`/proc/${this.pid}/task`).map(Number)) masks[tid] = statusField(this.pid, tid, 'SigBlk');
    return { masks, maps: fs.readFileSync(`/proc/${this.pid}/maps`, 'utf8') };
  }

  /** Running, untraced, the same masks and map, every thread going on, its handler answering. */
  async assertUnharmed(round: string): Promise<void> {
    const failed = this.lines().find((l) => l.startsWith('FAIL'));
    assert.equal(failed, undefined, `${round}: the workload found itself damaged`);
    const state = fs.existsSync(`/proc/${this.pid}`) ? statusField(this.pid, this.pid, 'State') : 'gone';
    assert.match(state, /^[RS]/, `${round}: the workload is ${state}`);
    for (const tid of Object.keys(this.baseline.masks)) {
      await waitUntil(`thread ${tid} to be untraced`, () => (statusField(this.pid, Number(tid), 'TracerPid') === '0' ? true : undefined));
    }
    assert.deepEqual(this.shape(), this.baseline, `${round}: masks or memory map changed`);
    const before = this.lastBeat()!;
    await waitUntil(`${round}: every thread to go on`, () => {
      const now = this.lastBeat()!;
      return now.main > before.main && now.waits > before.waits && now.spins > before.spins ? true : undefined;
    });
    const answers = () => this.lines().filter((l) => l.startsWith('usr1 ')).length;
    const asked = answers() + 1;
    process.kill(this.pid, 'SIGUSR1');
    await waitUntil(`${round}: the SIGUSR1 handler to answer`, () => (answers() >= asked ? true : undefined), 1000);
  }

  stop(): void {
    try { process.kill(this.pid, 'SIGKILL'); } catch { /* already gone */ }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
