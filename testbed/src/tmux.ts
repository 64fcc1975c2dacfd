// A tmux server of the test's own (its own socket), with one window running a shell: a real
// terminal a person would use, driven by send-keys and read by capture-pane.
import { execFileSync } from 'node:child_process';
import { childrenOf, waitUntil } from './processes.js';

export class Tmux {
  private readonly socket = `ferry-test-${process.pid}-${Date.now()}`;

  constructor() {
    this.run('new-session', '-d', '-s', 'main', '-x', '120', '-y', '40', 'env PS1="$ " bash --norc --noprofile');
  }

  private run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** The shell running in the window. */
  shellPid(): number {
    return Number(this.run('list-panes', '-t', 'main', '-F', '#{pane_pid}').trim());
  }

  /** The shell's children: its jobs, and a command it runs in the foreground. */
  jobs(): number[] {
    return childrenOf(this.shellPid());
  }

  /** Types LINE and Enter. */
  send(line: string): void {
    this.run('send-keys', '-t', 'main', '-l', line);
    this.run('send-keys', '-t', 'main', 'Enter');
  }

  screen(): string {
    return this.run('capture-pane', '-p', '-t', 'main', '-S', '-100');
  }

  async waitScreen(what: string, pattern: RegExp): Promise<void> {
    await waitUntil(what, () => pattern.test(this.screen()), 15_000).catch((e: Error) => {
      throw new Error(`${e.message}; the screen shows:\n${this.screen()}`);
    });
  }

  kill(): void {
    try {
      this.run('kill-server');
    } catch { /* already gone */ }
  }
}
