import type { KindPayloads, PayloadKind, RecordSink } from '@ferry/proto';
import type { FdInfo } from '@ferry/sys';
import { remapOf } from './remap.js';

/** An open file description as a record of its own kind (regfile, pipe, ...), named by `id`. */
export type FileObject = { [K in PayloadKind]: { kind: K; id: string; payload: KindPayloads[K] } }[PayloadKind];

/** Open files already described in this dump, across all its tasks. */
export type SeenFiles = { pid: number; info: FdInfo; file: FileObject }[];

/** What describers may need to know of the dump beyond the one descriptor. */
export interface DescribeContext {
  /** Every pid of the tree being dumped (a pipe whose end is held elsewhere is not whole). */
  readonly tree: ReadonlySet<number>;
  /** Names, as /proc/PID/fd shows them, that --inherit-fd declared outside the checkpoint. */
  readonly external: ReadonlySet<string>;
  readonly seen: SeenFiles;
  /**
   * Whether data the files hold (a pipe's queued bytes) is copied: not in the check made before
   * the freeze, when the running tree may change it under the copy.
   */
  readonly contents: boolean;
}

export function describeContext(tree: Iterable<number>, external: ReadonlySet<string> = new Set(), contents = true): DescribeContext {
  return { tree: new Set(tree), external, seen: [], contents };
}

/**
 * Each file kind's module says whether a descriptor is one of its own: a FileObject if it is,
 * a string saying what it is if it is its kind but cannot be dumped, null if it is not its kind.
 */
export type FileDescriber = (pid: number, info: FdInfo, id: string, ctx: DescribeContext) => FileObject | string | null;

/** Writes the file's record, and the remap record after it when the path cannot simply be reopened. */
export async function putFile(sink: RecordSink, file: FileObject): Promise<void> {
  // TypeScript cannot pair kind and payload through the union; FileObject's definition does.
  await sink.put(file.kind, file.id, file.payload as never);
  const remap = remapOf(file);
  if (remap) await sink.put('remap', remap.id, remap.payload);
}
