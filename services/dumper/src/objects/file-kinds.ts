import type { KindPayloads, PayloadKind } from '@ferry/proto';
import { copyFdOf, copyFdThrough, listFds, readFdInfo, sameOpenFile, type FdInfo } from '@ferry/sys';
import type { Holding } from '../collector.js';

/** An open file description as a record of its own kind (regfile, pipe, ...), named by `id`. */
export type FileObject = { [K in PayloadKind]: { kind: K; id: string; payload: KindPayloads[K] } }[PayloadKind];

/** Open files already described in this dump, across all its tasks. */
export type SeenFiles = { pid: number; info: FdInfo; file: FileObject }[];

/** What describers may need to know of the dump beyond the one descriptor. */
export interface DescribeContext {
  /** Asked in order (kinds.ts gives it); the first that knows the descriptor describes it. */
  readonly describers: readonly FileDescriber[];
  /** Every pid of the tree being dumped (a pipe whose end is held elsewhere is not whole). */
  readonly tree: ReadonlySet<number>;
  /** Names, as /proc/PID/fd shows them, that --inherit-fd declared outside the checkpoint. */
  readonly external: ReadonlySet<string>;
  readonly seen: SeenFiles;
  /** `seen` by what /proc/PID/fd shows: twins share their target, so a lookup compares only those. */
  readonly seenByTarget: Map<string, SeenFiles>;
  /** Each task's descriptors, read once per dump (see fdInfosOf). */
  readonly fdInfos: Map<number, readonly FdInfo[]>;
  /** A pidfd of the task whose descriptors are being described, open for that while (see copyOfFd). */
  readonly pidfds: Map<number, number>;
  /**
   * Whether data the files hold (a pipe's queued bytes) is copied: not in the check made before
   * the freeze, when the running tree may change it under the copy.
   */
  readonly contents: boolean;
  /** What the user asked of file kinds at dump (--ghost-limit, --ext-unix-sk, --tcp-established). */
  readonly options: FileOptions;
}

/** The dump's options that file kinds read. */
export interface FileOptions {
  /** The most bytes of an unlinked file still open (a ghost file) the dump keeps (--ghost-limit). */
  readonly ghostLimit: number;
  /** --ext-unix-sk: a datagram socket connected outside the tree is kept, to reconnect to its peer's address. */
  readonly extUnixSk: boolean;
  /** Established TCP connections are carried (--tcp-established), else refused. */
  readonly tcpEstablished: boolean;
  /** The network lock of this checkpoint, under which connections are taken (its id; empty in the check before the freeze). */
  readonly lockName: string;
  /** What describers took from the tree (a connection in repair mode): the dump's holdings. */
  readonly held: Holding[];
}

export function describeContext(describers: readonly FileDescriber[], tree: Iterable<number>, external: ReadonlySet<string>, options: FileOptions, contents = true): DescribeContext {
  return { describers, tree: new Set(tree), external, seen: [], seenByTarget: new Map(), fdInfos: new Map(), pidfds: new Map(), contents, options };
}

/**
 * PID's descriptors with their fdinfo, read on first need and kept: the files collector, the file
 * locks collector and the unix socket table all look at every descriptor of the frozen tree.
 */
export function fdInfosOf(ctx: DescribeContext, pid: number): readonly FdInfo[] {
  let infos = ctx.fdInfos.get(pid);
  if (!infos) ctx.fdInfos.set(pid, (infos = listFds(pid).map((fd) => readFdInfo(pid, fd))));
  return infos;
}

/** Ferry's copy of PID's descriptor FD (to close), through the task's pidfd while its files are described. */
export function copyOfFd(ctx: DescribeContext, pid: number, fd: number): number {
  const pidfd = ctx.pidfds.get(pid);
  return pidfd === undefined ? copyFdOf(pid, fd) : copyFdThrough(pidfd, pid, fd);
}

/** The file an earlier descriptor of the dump showed for the same open file description as PID's INFO. */
export function seenTwin(ctx: DescribeContext, pid: number, info: FdInfo): FileObject | undefined {
  return ctx.seenByTarget.get(info.target)?.find((s) => sameOpenFile(s.pid, s.info.fd, pid, info.fd))?.file;
}

/** Remembers FILE as the open file description behind PID's INFO. */
export function rememberSeen(ctx: DescribeContext, pid: number, info: FdInfo, file: FileObject): void {
  const entry = { pid, info, file };
  ctx.seen.push(entry);
  const same = ctx.seenByTarget.get(info.target);
  if (same) same.push(entry);
  else ctx.seenByTarget.set(info.target, [entry]);
}

/**
 * Each file kind's module says whether a descriptor is one of its own: a FileObject if it is,
 * a string saying what it is if it is its kind but cannot be dumped, null if it is not its kind.
 */
export type FileDescriber = (pid: number, info: FdInfo, id: string, ctx: DescribeContext) => FileObject | string | null;
