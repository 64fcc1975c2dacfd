import fs from 'node:fs';
import {
  AF_UNIX, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCKET_MAKING_SYSCALLS as CALL, SYS, copyFdOf, encodeSockAddr,
} from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

// Sockets made inside a restored task by injected calls, then taken into ferry (pidfd_getfd) and
// closed in the task: the kernel records who called socketpair, connect and listen, and the peer
// sees that pid (SO_PEERCRED). Every socket starts non-blocking, so a connect never waits.

const address = (name: Buffer) => encodeSockAddr({ family: AF_UNIX, path: name });

/** Runs MAKE in TASK's scratch space; the task's descriptors it returns are moved to ferry. */
function madeIn(task: RestoringTask, what: string, make: () => number[]): number[] {
  const inj = task.injector;
  inj.resetScratch();
  const inTask = make();
  try {
    return inTask.map((fd) => copyFdOf(task.pid, fd));
  } catch (e) {
    throw new Error(`${what} in task ${task.pid}: ${(e as Error).message}`);
  } finally {
    for (const fd of inTask) inj.raw(SYS.close, fd);
  }
}

function newSocket(task: RestoringTask, type: number): number {
  return Number(task.injector.call('socket(AF_UNIX)', CALL.socket, AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
}

/** Binds (an empty name: autobind, a fresh abstract name) unless NAME is null. */
function bindIn(task: RestoringTask, fd: number, name: Buffer | null): void {
  if (name === null) return;
  const addr = address(name);
  task.injector.call(`bind to ${name.toString()}`, CALL.bind, fd, task.injector.put(addr), addr.length);
}

/** A connected pair, made by TASK (both ends see it as their peer's creator). */
export function pairIn(task: RestoringTask, type: number): [number, number] {
  const [a, b] = madeIn(task, 'socketpair', () => {
    const fds = task.injector.reserve(8);
    task.injector.call('socketpair(AF_UNIX)', CALL.socketpair, AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
    const out = task.mem.read(fds, 8);
    return [out.readInt32LE(0), out.readInt32LE(4)];
  });
  return [a!, b!];
}

/** A socket listening on NAME (empty: an autobound one), whose connections see TASK as their peer. */
export function listenerIn(task: RestoringTask, type: number, name: Buffer, backlog: number): number {
  return madeIn(task, 'listen', () => {
    const fd = newSocket(task, type);
    bindIn(task, fd, name);
    task.injector.call(`listen on ${name.toString()}`, CALL.listen, fd, backlog);
    return [fd];
  })[0]!;
}

/** A socket TASK connects to TO (after binding it to NAME, unless null): its accepted end sees TASK. */
export function connectedIn(task: RestoringTask, type: number, name: Buffer | null, to: Buffer): number {
  return madeIn(task, 'connect', () => {
    const fd = newSocket(task, type);
    bindIn(task, fd, name);
    const addr = address(to);
    task.injector.call(`connect to ${to[0] === 0 ? '@' + to.subarray(1).toString() : to.toString()}`, CALL.connect, fd, task.injector.put(addr), addr.length);
    return [fd];
  })[0]!;
}

/** A socket of TASK's making, bound to NAME unless null, connected to nothing. */
export function socketIn(task: RestoringTask, type: number, name: Buffer | null): number {
  return madeIn(task, 'socket', () => {
    const fd = newSocket(task, type);
    bindIn(task, fd, name);
    return [fd];
  })[0]!;
}

/**
 * Makes way for a socket to be bound at PATH: the socket file the dumped process left there is
 * removed; anything else there is an error, as is a missing directory.
 */
export function clearSocketPath(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new Error(`${path}, where a restored socket is bound, cannot be looked at (${(e as Error).message})`);
  }
  if (!st.isSocket()) throw new Error(`${path}, where a restored unix socket is bound, is now something else than a socket: remove it or move it away`);
  fs.unlinkSync(path);
}
