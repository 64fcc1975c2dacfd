import type { KindPayloads, PayloadKind, RecordSink } from '@ferry/proto';
import type { FdInfo } from '@ferry/sys';
import { remapOf } from './remap.js';

/** An open file description as a record of its own kind (regfile, pipe, ...), named by `id`. */
export type FileObject = { [K in PayloadKind]: { kind: K; id: string; payload: KindPayloads[K] } }[PayloadKind];

/**
 * Each file kind's module says whether a descriptor is one of its own: a FileObject if it is,
 * a string saying what it is if it is its kind but cannot be dumped, null if it is not its kind.
 */
export type FileDescriber = (pid: number, info: FdInfo, id: string) => FileObject | string | null;

/** Writes the file's record, and the remap record after it when the path cannot simply be reopened. */
export async function putFile(sink: RecordSink, file: FileObject): Promise<void> {
  // TypeScript cannot pair kind and payload through the union; FileObject's definition does.
  await sink.put(file.kind, file.id, file.payload as never);
  const remap = remapOf(file);
  if (remap) await sink.put('remap', remap.id, remap.payload);
}
