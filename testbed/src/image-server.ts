// `ferry image-server` as its own process, for tests: started on a store directory, stopped
// (or killed mid-stream) by its pid only. It talks to NATS from our side; its page stream (which
// dumpers, on our side in a migration, connect to) listens on loopback or on a given address.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ferryBin as bin } from './paths.js';
import { waitUntil } from './processes.js';
import { LOOPBACK, stopChild } from './servers.js';

export class ImageServerProcess {
  private log = '';

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.on('data', (d) => (this.log += d));
  }

  /**
   * Starts it and waits until it serves. EXTRA: more flags (--idle-timeout, --keep-last; a
   * --page-stream there wins over BIND). BIND: where its page stream listens, on a free port; the
   * server offers dumpers that very address, so ANY serves dumpers on our side only (Linux dials
   * 0.0.0.0 as this namespace) and a NamespaceHost's ourAddress serves both sides.
   */
  static async start(store: string, env: Record<string, string>, extra: string[] = [], bind = LOOPBACK): Promise<ImageServerProcess> {
    const pageStream = extra.includes('--page-stream') ? [] : ['--page-stream', `${bind}:0`];
    const child = spawn(process.execPath, [bin, 'image-server', '--store', store, ...pageStream, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
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

  /** Where it offers dumpers its page stream (host and port as it tells them), if it has one. */
  get pageStream(): { host: string; port: number } | undefined {
    const m = /page streams on (\S+):(\d+)/.exec(this.log);
    return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopChild(this.child, signal);
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
