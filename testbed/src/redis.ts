// A private redis-server for a test: a free port, a password, its own directory; on loopback, or
// on every address (ANY) so a NamespaceHost reaches it over its link. Every write is in its
// append-only file before it is acknowledged, so a server stopped (even by SIGKILL) and started
// again on the same port keeps its keys. Stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { dialAt, LOOPBACK, ourSide, stopChild } from './servers.js';

export class RedisServer {
  readonly password = randomBytes(12).toString('hex');
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-redis-'));
  private child?: ChildProcess;

  private constructor(readonly port: number, readonly bind: string) {}

  /** BIND: the one address it listens on (ANY: loopback and every NamespaceHost link too). */
  static async start(bind = LOOPBACK): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), bind);
    try {
      await server.run();
    } catch (e) {
      await server.kill();
      throw e;
    }
    return server;
  }

  /** The running server's pid (a new one after restart()). */
  get pid(): number {
    return this.child!.pid!;
  }

  /** redis://:PASSWORD@127.0.0.1:PORT: its URL from our side (loopback, unless it listens on one other address only). */
  get url(): string {
    return this.urlAt(ourSide(this.bind));
  }

  /** Its URL from where ADDRESS is its address (a NamespaceHost's ourAddress: from inside that host). */
  urlAt(address: string): string {
    return `redis://:${this.password}@${dialAt(this.bind, address)}:${this.port}`;
  }

  /** Stops the server (SIGKILL: as a crash would) and resolves once it is gone; its data stays for restart(). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await stopChild(this.child, signal);
  }

  /** Starts it again, stopping it first if it runs: same port, password and keys. */
  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  /** SIGKILL, as a crash would; resolves once it is gone, with its directory (no restart after this). */
  async kill(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', this.bind, '--requirepass', this.password, '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    const child = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    await untilReady(child);
    child.stdout!.resume();
  }
}

/** A new server (see RedisServer.start). */
export function startRedis(bind = LOOPBACK): Promise<RedisServer> {
  return RedisServer.start(bind);
}

function untilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited ${code}: ${out}`));
    });
  });
}
