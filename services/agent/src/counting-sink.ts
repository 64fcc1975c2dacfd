import type { RecordSink } from '@ferry/proto';

/** The sink as it is, telling ON_PAGES the page bytes stored so far after each run of pages. */
export function countingPages(sink: RecordSink, onPages: (bytes: number) => void): RecordSink {
  let bytes = 0;
  return {
    get checkpointId() { return sink.checkpointId; },
    put: (kind, objectId, payload) => sink.put(kind, objectId, payload),
    putPages: async (pid, vaddr, data) => {
      await sink.putPages(pid, vaddr, data);
      bytes += data.length;
      onPages(bytes);
    },
    commit: () => sink.commit(),
    abort: () => sink.abort(),
  };
}
