// A program running on a real pty, behind pty-relay (workloads/pty-relay.c), which the tests
// drive like a person at a terminal: keystrokes in through a FIFO, the screen out to a file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { workload } from './build.js';
import type { Scratch } from './scratch.js';
import { launch, childrenOf, waitUntil, killAll, treeOf } from './processes.js';

export class Terminal {
  readonly keys: string;
  readonly screenFile: string;
  /** The relay, which holds the master: the root of the tree a test dumps. */
  readonly relay: number;

  constructor(scratch: Scratch, argv: string[]) {
    this.keys = scratch.path('keys');
    this.screenFile = scratch.path('screen');
    execFileSync('mkfifo', [this.keys]);
    this.relay = launch([workload('pty-relay'), this.keys, this.screenFile, ...argv], { newSession: true });
  }

  /** The program on the terminal, once it runs. */
  async program(): Promise<number> {
    let pid = 0;
    await waitUntil('the program on the terminal', () => {
      try {
        pid = childrenOf(this.relay)[0] ?? 0;
      } catch {
        pid = 0;
      }
      return pid !== 0;
    });
    return pid;
  }

  type(text: string): void {
    fs.appendFileSync(this.keys, text);
  }

  screen(): string {
    return fs.existsSync(this.screenFile) ? fs.readFileSync(this.screenFile, 'latin1') : '';
  }

  async waitScreen(what: string, pattern: RegExp): Promise<void> {
    await waitUntil(what, () => pattern.test(this.screen()));
  }

  /** Stops or restarts copying between the terminal and the files (leaves bytes queued). */
  togglePause(): void {
    process.kill(this.relay, 'SIGUSR1');
  }

  async kill(): Promise<void> {
    let pids: number[] = [this.relay];
    try {
      pids = treeOf(this.relay);
    } catch { /* gone */ }
    await killAll(pids.reverse());
  }
}
