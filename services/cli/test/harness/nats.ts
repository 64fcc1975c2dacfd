// A real nats-server (with JetStream and a user and password, so credentials are exercised) on a
// free loopback port, for the tests of the distributed mode. Only the server a test started is
// ever stopped, by its pid, and its directory goes with it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from './processes.js';
import { freePort } from './free-port.js';

const NATS_SERVER = '/usr/sbin/nats-server';

export class NatsServer {
  readonly user = 'ferry-test';
  readonly password = 'not-a-secret';
  private child?: ChildProcess;

  private constructor(readonly port: number, readonly dir: string) {}

  static async start(): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-nats-')));
    await server.run();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** What a ferry command needs in its environment to reach this server. */
  env(password = this.password): Record<string, string> {
    return { FERRY_NATS_URL: this.url, FERRY_NATS_USER: this.user, FERRY_NATS_PASSWORD: password };
  }

  /** Stops the server (its JetStream directory stays, for a restart). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(): Promise<void> {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '--user', this.user, '--pass', this.password, '-js', '-sd', path.join(this.dir, 'js')];
    const child = spawn(NATS_SERVER, args, { stdio: ['ignore', 'ignore', fs.openSync(path.join(this.dir, 'log'), 'a')] });
    this.child = child;
    let up = false;
    await waitUntil(`nats-server on port ${this.port}`, () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited ${child.exitCode}: ${fs.readFileSync(path.join(this.dir, 'log'), 'utf8')}`);
      void canConnect(this.port).then((ok) => (up = ok));
      return up;
    });
  }
}


function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
