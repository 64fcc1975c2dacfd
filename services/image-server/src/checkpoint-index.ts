import type { DecodedRecord, Inventory, PageRun } from '@ferry/proto';
import type { CheckpointSummary, TaskSummary } from '@ferry/transport';

/** What the server keeps about a checkpoint beside its files (index.json): the summary, the object table and the page index. */
export interface CheckpointIndex extends CheckpointSummary {
  objects: { seq: number; kind: string; objectId: string }[];
  pages: { seq: number; pid: number; vaddr: string; npages: number; offset: number }[];
}

/** Builds a checkpoint's index from its records as they arrive, so nothing is read back at commit. */
export class IndexBuilder {
  private inventory?: Inventory;
  private readonly tasks: TaskSummary[] = [];
  private readonly comms = new Map<number, string>();
  private readonly exes = new Map<number, string>();
  private readonly kindCounts: Record<string, number> = {};
  readonly objects: CheckpointIndex['objects'] = [];
  readonly pageRuns: PageRun[] = [];

  add(r: DecodedRecord): void {
    this.objects.push({ seq: r.seq, kind: r.kind, objectId: r.objectId });
    this.kindCounts[r.kind] = (this.kindCounts[r.kind] ?? 0) + 1;
    if (r.kind === 'inventory') this.inventory = r.payload;
    else if (r.kind === 'pstree') {
      const t = r.payload;
      this.tasks.push({ pid: t.pid, ppid: t.ppid, pgid: t.pgid, sid: t.sid, threads: t.threads.length, comm: t.zombieComm, exe: '', zombie: t.zombie });
    } else if (r.kind === 'procattrs') this.comms.set(r.payload.pid, r.payload.comm);
    else if (r.kind === 'mm') this.exes.set(r.payload.pid, r.payload.exePath);
    else if (r.kind === 'pages') this.pageRuns.push({ seq: r.seq, pages: r.payload });
  }

  get checkpointInventory(): Inventory | undefined {
    return this.inventory;
  }

  /** host:pid:exe of the root, the default workload name: the same program dumped again from the same place. */
  defaultWorkload(): string {
    const inv = this.inventory;
    if (!inv) return '';
    return `${inv.host}:${inv.rootPid}:${this.exes.get(inv.rootPid) ?? ''}`;
  }

  build(meta: { workload: string; committedAt: string; recordBytes: number; pageBytes: number; pagesHeldBy?: string }): CheckpointIndex {
    const inv = this.inventory;
    const tasks = this.tasks.map((t) => ({ ...t, comm: t.zombie ? t.comm : this.comms.get(t.pid) ?? '', exe: this.exes.get(t.pid) ?? '' }));
    return {
      checkpointId: inv?.checkpointId ?? '',
      workload: meta.workload,
      host: inv?.host ?? '',
      rootPid: inv?.rootPid ?? 0,
      createdAt: inv ? new Date(Number(inv.createdMs)).toISOString() : '',
      committedAt: meta.committedAt,
      committed: meta.committedAt !== '',
      records: this.objects.length,
      recordBytes: meta.recordBytes,
      pageBytes: meta.pageBytes,
      size: meta.recordBytes + (meta.pagesHeldBy ? 0 : meta.pageBytes),
      ...(meta.pagesHeldBy ? { pagesHeldBy: meta.pagesHeldBy } : {}),
      tasks,
      kindCounts: { ...this.kindCounts },
      objects: this.objects,
      pages: this.pageRuns.map(({ seq, pages: p }) => ({ seq, pid: p.pid, vaddr: `0x${p.vaddr.toString(16)}`, npages: p.npages, offset: Number(p.offset) })),
    };
  }
}

/** The index without its tables: what list and show send. */
export function summaryOf(index: CheckpointIndex): CheckpointSummary {
  const { objects: _objects, pages: _pages, ...summary } = index;
  return summary;
}
