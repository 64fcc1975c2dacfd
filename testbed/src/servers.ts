// What the test servers (NATS, Redis, the image server) share: where they listen, how they are
// dialled from either side of a NamespaceHost's link, and stopping one by its own process.
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';

/** The default: processes on our side only. */
export const LOOPBACK = '127.0.0.1';
/**
 * Every address of our network namespace: loopback for our processes, and a NamespaceHost's
 * ourAddress for what runs inside it. The ports are free ones of this machine, and the tests dial
 * only loopback or their own link.
 */
export const ANY = '0.0.0.0';

/** The host our side dials a server listening on BIND at. */
export function ourSide(bind: string): string {
  return bind === ANY ? LOOPBACK : bind;
}

/** The host to dial a server listening on BIND at, from where ADDRESS is ours (a NamespaceHost's ourAddress). */
export function dialAt(bind: string, address: string): string {
  if (bind !== ANY && bind !== address) throw new Error(`the server listens on ${bind} only, not on ${address}: start it with ${ANY} or ${address}`);
  return address;
}

/** Whether something accepts connections on HOST:PORT now. */
export function canConnect(port: number, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Sends CHILD (a server this test started) SIGNAL and resolves once it has exited; at once if it has. */
export async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await gone;
}
