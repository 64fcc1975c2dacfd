// An Image held in memory, made from sample records: what the planner reads, without a directory.
import type { DecodedRecord, Image, KindName, KindPayloads, PayloadKind } from '@ferry/proto';

export type SampleRecord = { [K in PayloadKind | 'pages']: { kind: K; payload: KindPayloads[K] } }[PayloadKind | 'pages'];

export const ROOT_PID = 100;

export function memoryImage(samples: readonly SampleRecord[], rootPid = ROOT_PID): Image {
  const inventory = {
    checkpointId: 'ckpt-plan-test', formatVersion: 1, host: 'host-a', kernel: '6.18.0', rootPid,
    createdMs: 1732280000123n, ferryVersion: '0.1.0', pageSize: 4096, arch: 'x86_64', parentCheckpointId: '',
  };
  const records = samples.map((r, i) => ({ seq: i + 1, kind: r.kind, objectId: `${r.kind}:${i}`, payload: r.payload }) as DecodedRecord);
  const pageRuns = records.flatMap((r) => (r.kind === 'pages' ? [{ seq: r.seq, pages: r.payload }] : []));
  const pageBytes = pageRuns.reduce((n, r) => n + BigInt(r.pages.npages) * 4096n, 0n);
  return {
    dir: '/nonexistent/ckpt-plan-test',
    pageStorePath: '/nonexistent/ckpt-plan-test/pages.img',
    pageRuns,
    checkpointId: inventory.checkpointId,
    inventory,
    commit: { recordCount: BigInt(records.length + 2), kindCounts: {}, pageBytes },
    records,
    byKind: <K extends KindName>(kind: K) => records.filter((r) => r.kind === kind).map((r) => r.payload as KindPayloads[K]),
    readPages: () => Promise.reject(new Error('no page store in a memory image')),
  };
}
