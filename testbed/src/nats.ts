// A real nats-server (with JetStream and a user and password, so credentials are exercised) on a
// free port, for the tests of the distributed mode: on loopback, or on every address (ANY) so a
// NamespaceHost reaches it over its link. Only the server a test started is ever stopped, by its
// pid, and its directory goes with it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from './processes.js';
import { freePort } from './free-port.js';
import { canConnect, dialAt, LOOPBACK, ourSide, stopChild } from './servers.js';

const NATS_SERVER = '/usr/sbin/nats-server';

export class NatsServer {
  readonly user = 'ferry-test';
  readonly password = 'not-a-secret';
  private child?: ChildProcess;

  private constructor(readonly port: number, readonly dir: string, readonly bind: string) {}

  /** BIND: the one address it listens on (ANY: loopback and every NamespaceHost link too). */
  static async start(bind = LOOPBACK): Promise<NatsServer> {
    const server = new NatsServer(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-nats-')), bind);
    await server.run();
    return server;
  }

  /** Its URL from our side (loopback, unless it listens on one other address only). */
  get url(): string {
    return this.urlAt(ourSide(this.bind));
  }

  /** Its URL from where ADDRESS is its address (a NamespaceHost's ourAddress: from inside that host). */
  urlAt(address: string): string {
    return `nats://${dialAt(this.bind, address)}:${this.port}`;
  }

  /** What a ferry command on our side needs in its environment to reach this server. */
  env(password = this.password): Record<string, string> {
    return this.envAt(ourSide(this.bind), password);
  }

  /** The same for a command reaching it at ADDRESS (inside a NamespaceHost: its ourAddress). */
  envAt(address: string, password = this.password): Record<string, string> {
    return { FERRY_NATS_URL: this.urlAt(address), FERRY_NATS_USER: this.user, FERRY_NATS_PASSWORD: password };
  }

  /** Stops the server (its JetStream directory stays, for a restart). */
  async stop(): Promise<void> {
    await stopChild(this.child);
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async run(): Promise<void> {
    const args = ['-a', this.bind, '-p', String(this.port), '--user', this.user, '--pass', this.password, '-js', '-sd', path.join(this.dir, 'js')];
    const log = fs.openSync(path.join(this.dir, 'log'), 'a');
    const child = spawn(NATS_SERVER, args, { stdio: ['ignore', 'ignore', log] });
    fs.closeSync(log);
    this.child = child;
    let up = false;
    await waitUntil(`nats-server on port ${this.port}`, () => {
      if (child.exitCode !== null) throw new Error(`nats-server exited ${child.exitCode}: ${fs.readFileSync(path.join(this.dir, 'log'), 'utf8')}`);
      void canConnect(this.port, ourSide(this.bind)).then((ok) => (up = ok));
      return up;
    });
  }
}
