import type { KindPayloads, PayloadKind, RecordSink } from '@ferry/proto';
import type { FdInfo } from '@ferry/sys';

/** An open file description as a record of its own kind (regfile, pipe, ...), named by `id`. */
export type FileObject = { [K in PayloadKind]: { kind: K; id: string; payload: KindPayloads[K] } }[PayloadKind];

/**
 * Each file kind's module says whether a descriptor is one of its own: a FileObject if it is,
 * a string saying what it is if it is its kind but cannot be dumped, null if it is not its kind.
 */
export type FileDescriber = (pid: number, info: FdInfo, id: string) => FileObject | string | null;

export function putFile(sink: RecordSink, file: FileObject): Promise<void> {
  // TypeScript cannot pair kind and payload through the union; FileObject's definition does.
  return sink.put(file.kind, file.id, file.payload as never);
}
