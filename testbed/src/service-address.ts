// The floating service address of the --tcp-established migration tests: on our loopback (host
// a's) first, then moved to b as an operator moves one once migrate reports the tree runs there.
import { execFileSync } from 'node:child_process';
import type { NamespaceHost } from './ns-host.js';

export class ServiceAddress {
  readonly address = `192.0.2.${(process.pid % 250) + 1}`;
  private movedTo: NamespaceHost | null = null;

  private constructor() {
    execFileSync('ip', ['addr', 'add', `${this.address}/32`, 'dev', 'lo']);
  }

  /** The address goes to B, and the way to it too: peers here reach the tree there. */
  moveTo(b: NamespaceHost): void {
    execFileSync('ip', ['addr', 'del', `${this.address}/32`, 'dev', 'lo']);
    this.movedTo = b;
    b.exec(['ip', 'addr', 'add', `${this.address}/32`, 'dev', 'eth0']);
    execFileSync('ip', ['route', 'add', `${this.address}/32`, 'via', b.address]);
  }

  private remove(): void {
    if (!this.movedTo) execFileSync('ip', ['addr', 'del', `${this.address}/32`, 'dev', 'lo']);
    else execFileSync('ip', ['route', 'del', `${this.address}/32`], { stdio: 'ignore' });
  }

  /** Runs BODY with the address here, and removes it (or its route to b) afterwards. */
  static async with(body: (s: ServiceAddress) => Promise<void>): Promise<void> {
    const s = new ServiceAddress();
    try {
      await body(s);
    } finally {
      s.remove();
    }
  }
}
