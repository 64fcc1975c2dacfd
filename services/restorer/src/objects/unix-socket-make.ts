import fs from 'node:fs';
import {
  AF_UNIX, BatchError, NOT_RUN, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCKET_MAKING_SYSCALLS as CALL, SYS, copyFdsOf, encodeSockAddr, runCalls,
  type BatchCall, type CallResult,
} from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';

// Sockets made inside a restored task by injected calls, then taken into ferry (pidfd_getfd) and
// closed in the task: the kernel records who called socketpair, connect and listen, and the peer
// sees that pid (SO_PEERCRED). Every socket starts non-blocking, so a connect never waits. Each
// socket's calls are one group of a table the task runs in one stop (inject-batch.ts); socketpairs
// are asked for first and made together, a table per task (PairRequests).

const address = (name: Buffer) => encodeSockAddr({ family: AF_UNIX, path: name });
const FLAGS = SOCK_NONBLOCK | SOCK_CLOEXEC;

/** The task's descriptors a group made: a socketpair's two, or the socket its first call returned. */
function fdsMadeBy(r: CallResult[]): number[] {
  const first = r[0];
  if (!first || first.ret === NOT_RUN || first.ret < 0n) return [];
  if (first.out) return [first.out.readInt32LE(0), first.out.readInt32LE(4)];
  return [Number(first.ret)];
}

function closeIn(task: RestoringTask, fds: number[]): void {
  runCalls(task.injector, fds.map((fd) => [{ name: 'close', nr: SYS.close, args: [fd], mayFail: true }]));
}

/** Runs GROUPS in TASK; the descriptors each made are moved to ferry, a list per group. */
function madeIn(task: RestoringTask, what: string, groups: BatchCall[][]): number[][] {
  let done: CallResult[][];
  try {
    done = runCalls(task.injector, groups);
  } catch (e) {
    if (e instanceof BatchError) closeIn(task, e.done.flatMap(fdsMadeBy));
    throw e;
  }
  const inTask = done.map(fdsMadeBy);
  try {
    const copies = copyFdsOf(task.pid, inTask.flat());
    return inTask.map((fds) => copies.splice(0, fds.length));
  } catch (e) {
    throw new Error(`${what} in task ${task.pid}: ${(e as Error).message}`);
  } finally {
    closeIn(task, inTask.flat());
  }
}

const newSocket = (type: number): BatchCall => ({ name: 'socket(AF_UNIX)', nr: CALL.socket, args: [AF_UNIX, type | FLAGS, 0] });

/** Binds the group's socket (an empty name: autobind, a fresh abstract name) unless NAME is null. */
function bindTo(name: Buffer | null): BatchCall[] {
  if (name === null) return [];
  const addr = address(name);
  return [{ name: `bind to ${name.toString()}`, nr: CALL.bind, args: [{ result: 0 }, { data: addr }, addr.length] }];
}

const shown = (name: Buffer) => (name[0] === 0 ? '@' + name.subarray(1).toString() : name.toString());

/** Connected pairs, each made by TASK (both ends see it as their peer's creator). */
export function pairsIn(task: RestoringTask, types: number[]): [number, number][] {
  const made = madeIn(task, 'socketpair', types.map((type) => [{ name: 'socketpair(AF_UNIX)', nr: CALL.socketpair, args: [AF_UNIX, type | FLAGS, 0, { out: 8 }] }]));
  return made.map(([a, b]) => [a!, b!]);
}

/** A socket listening on NAME (empty: an autobound one), whose connections see TASK as their peer. */
export function listenerIn(task: RestoringTask, type: number, name: Buffer, backlog: number): number {
  return madeIn(task, 'listen', [[newSocket(type), ...bindTo(name), { name: `listen on ${shown(name)}`, nr: CALL.listen, args: [{ result: 0 }, backlog] }]])[0]![0]!;
}

/** A socket TASK connects to TO (after binding it to NAME, unless null): its accepted end sees TASK. */
export function connectedIn(task: RestoringTask, type: number, name: Buffer | null, to: Buffer): number {
  const addr = address(to);
  return madeIn(task, 'connect', [[newSocket(type), ...bindTo(name), { name: `connect to ${shown(to)}`, nr: CALL.connect, args: [{ result: 0 }, { data: addr }, addr.length] }]])[0]![0]!;
}

/** A socket of TASK's making, bound to NAME unless null, connected to nothing. */
export function socketIn(task: RestoringTask, type: number, name: Buffer | null): number {
  return madeIn(task, 'socket', [[newSocket(type), ...bindTo(name)]])[0]![0]!;
}

/** Socketpairs asked for while the sockets are sorted out, made when flushed: a table per task. */
export class PairRequests {
  private readonly wanted = new Map<RestoringTask, { type: number; then: (a: number, b: number) => void }[]>();

  want(task: RestoringTask, type: number, then: (a: number, b: number) => void): void {
    let list = this.wanted.get(task);
    if (!list) this.wanted.set(task, (list = []));
    list.push({ type, then });
  }

  flush(): void {
    for (const [task, list] of this.wanted) {
      this.wanted.delete(task);
      pairsIn(task, list.map((w) => w.type)).forEach(([a, b], i) => list[i]!.then(a, b));
    }
  }
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
