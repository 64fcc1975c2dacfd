// One test's world: a scratch directory, an output file for its workloads, and the processes it
// started. At the end a pid is killed only if it is still in the session it had when the test
// took it: pids wrap quickly here, and a pid left free may belong to someone else by then. The
// session survives exec (scripts start through shims) and ferry restores it.
import { test, type TestOptions } from 'node:test';
import { Scratch } from './scratch.js';
import { launch, readStat, treeOf, waitGone, type LaunchOptions } from './processes.js';
import { Output } from './output.js';

export class TestBed {
  readonly scratch = new Scratch();
  /** Where started workloads write stdout and stderr, unless told otherwise. */
  readonly output = new Output(this.scratch.path('out'));
  private readonly sessions = new Map<number, number | undefined>();

  /** Starts ARGV detached in a session of its own (see launch) and remembers it for cleanup. */
  start(argv: string[], options: LaunchOptions = {}): number {
    return this.adopt(launch(argv, { newSession: true, output: this.output.file, ...options }));
  }

  /** Takes PID, started some other way, into this bed's cleanup. */
  adopt(pid: number): number {
    this.sessions.set(pid, readStat(pid)?.sid);
    return pid;
  }

  /** Takes ROOT and every process under it now into this bed's cleanup; returns them, root first. */
  adoptTree(root: number): number[] {
    const pids = treeOf(root);
    for (const pid of pids) this.adopt(pid);
    return pids;
  }

  async close(): Promise<void> {
    const ours = [...this.sessions].filter(([pid, sid]) => sid !== undefined && readStat(pid)?.sid === sid).map(([pid]) => pid);
    for (const pid of ours) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* ended meanwhile */ }
    }
    for (const pid of ours) await waitGone(pid).catch(() => undefined);
    this.scratch.remove();
  }
}

/** A node:test test that gets a fresh TestBed and always closes it. */
export function bedTest(name: string, body: (bed: TestBed) => Promise<void>, options: TestOptions = {}): void {
  test(name, options, async () => {
    const bed = new TestBed();
    try {
      await body(bed);
    } finally {
      await bed.close();
    }
  });
}
