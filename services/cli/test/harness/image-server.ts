// `ferry image-server` as its own process, for tests: started on a store directory, stopped
// (or killed mid-stream) by its pid only.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './build.js';
import { waitUntil } from './processes.js';

const bin = path.join(repoRoot, 'services/cli/bin/ferry.js');

export class ImageServerProcess {
  private log = '';

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (d) => (this.log += d));
  }

  /** Starts it and waits until it serves. EXTRA: more flags (--idle-timeout, --keep-last). */
  static async start(store: string, env: Record<string, string>, extra: string[] = []): Promise<ImageServerProcess> {
    const child = spawn(process.execPath, [bin, 'image-server', '--store', store, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
    const server = new ImageServerProcess(child);
    await waitUntil('the image server to serve', () => {
      if (child.exitCode !== null) throw new Error(`ferry image-server exited ${child.exitCode}: ${server.log}`);
      return server.log.includes('serving checkpoints');
    });
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** What it has said on stderr so far. */
  get output(): string {
    return this.log;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill(signal);
    await gone;
  }
}

/** The checkpoint directories in STORE (committed or not). */
export function storedIds(store: string): string[] {
  return fs.existsSync(store) ? fs.readdirSync(store).filter((n) => !n.startsWith('.')) : [];
}

/** Waits until some checkpoint in STORE has received more than BYTES bytes of pages; returns its id. */
export async function waitForPagesStreaming(store: string, bytes: number): Promise<string> {
  let id = '';
  await waitUntil(`pages streaming into ${store}`, () => {
    id = storedIds(store).find((n) => {
      try { return fs.statSync(path.join(store, n, 'pages.img')).size > bytes; } catch { return false; }
    }) ?? '';
    return id !== '';
  }, 20_000);
  return id;
}
