// A second "host" on this machine for tests: its own pid, mount (fresh /proc) and network
// namespaces, joined to ours by a veth pair with an address on each side. Processes restored in
// it get the pids of the image inside its pid namespace, as on another machine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { childrenOf, waitUntil, killAll } from './processes.js';
import { ferryBin } from './paths.js';

let hosts = 0;

const REAPING_INIT = 'import os, time\nwhile True:\n  try:\n    os.wait()\n  except ChildProcessError:\n    time.sleep(0.1)\n';

export class NamespaceHost {
  private readonly init: ChildProcess;
  readonly name: string;
  /** Our end's and the host's addresses on the veth link. */
  readonly ourAddress: string;
  readonly address: string;
  private readonly ourLink: string;

  /** OWN_NETWORK false: the host shares our network (loopback servers reach it) but not pids or mounts. */
  constructor(private readonly ownNetwork = true) {
    const n = (process.pid % 200) * 10 + (hosts++ % 10);
    this.name = `ferry-host-${process.pid}-${n}`;
    this.ourLink = `fv${process.pid % 100000}h${n % 10}`;
    this.ourAddress = `10.${200 + (n % 50)}.${Math.floor(n / 50) % 250}.1`;
    this.address = this.ourAddress.replace(/\.1$/, '.2');
    // Its init reaps orphans, as a host's init does: pid 1 of the namespace, whose end ends everything in it.
    const net = ownNetwork ? ['--net'] : [];
    this.init = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...net, 'python3', '-c', REAPING_INIT], { stdio: 'ignore', detached: true });
  }

  /** The namespace's pid 1, as we see it. */
  async initPid(): Promise<number> {
    let pid = 0;
    await waitUntil('the host namespace to start', () => {
      pid = childrenOf(this.init.pid!)[0] ?? 0;
      return pid > 0;
    });
    return pid;
  }

  /** Brings the network up: loopback and a veth pair to us. */
  async connect(): Promise<void> {
    const pid = String(await this.initPid());
    execFileSync('ip', ['link', 'add', this.ourLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pid]);
    execFileSync('ip', ['addr', 'add', `${this.ourAddress}/30`, 'dev', this.ourLink]);
    execFileSync('ip', ['link', 'set', this.ourLink, 'up']);
    this.exec(['ip', 'link', 'set', 'lo', 'up']);
    this.exec(['ip', 'addr', 'add', `${this.address}/30`, 'dev', 'eth0']);
    this.exec(['ip', 'link', 'set', 'eth0', 'up']);
  }

  /** Runs a command inside the host (all its namespaces), waiting for it: its stdout; if it fails, an error with its stderr. */
  exec(argv: string[], options: { env?: Record<string, string> } = {}): string {
    return execFileSync('nsenter', this.enter(argv), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  }

  /** Runs `ferry ARGS...` inside the host, as exec() does: its stdout. */
  ferry(args: string[], options: { env?: Record<string, string> } = {}): string {
    return this.exec([process.execPath, ferryBin, ...args], options);
  }

  /** Starts a long-running command inside the host (an agent); it ends with the host. */
  start(argv: string[], env: Record<string, string> = {}): ChildProcess {
    return spawn('nsenter', this.enter(argv), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  }

  private enter(argv: string[]): string[] {
    return ['-t', String(this.initPidSync()), '-p', '-m', ...(this.ownNetwork ? ['-n'] : []), '--', ...argv];
  }

  private initPidSync(): number {
    return childrenOf(this.init.pid!)[0]!;
  }

  /** Our pids of every process of the host but its init (and the nsenter processes that started them). */
  processes(): number[] {
    const init = this.initPidSync();
    const ns = fs.readlinkSync(`/proc/${init}/ns/pid`);
    return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
      try {
        return pid !== init && fs.readlinkSync(`/proc/${pid}/ns/pid`) === ns;
      } catch {
        return false;
      }
    });
  }

  /** Our pid of the process the host knows as INNER (its pid there), or undefined. */
  outerPid(inner: number): number | undefined {
    const ns = fs.readlinkSync(`/proc/${this.initPidSync()}/ns/pid`);
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        if (fs.readlinkSync(`/proc/${d}/ns/pid`) !== ns) continue;
        const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'))![1]!.split(/\s+/).map(Number);
        if (nspid[nspid.length - 1] === inner) return Number(d);
      } catch { /* went away */ }
    }
    return undefined;
  }

  /** Ends every process of the host (its init's end kills them) and the link. */
  async remove(): Promise<void> {
    const pids = [this.init.pid!];
    try { pids.push(this.initPidSync()); } catch { /* not started */ }
    await killAll(pids.reverse());
    try { execFileSync('ip', ['link', 'del', this.ourLink], { stdio: 'ignore' }); } catch { /* went with the namespace */ }
  }
}
