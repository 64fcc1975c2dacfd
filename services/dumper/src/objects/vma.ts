import fs from 'node:fs';
import type { Vma } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import { devNumber, readSmaps, type MapEntry } from '@ferry/sys';
import type { FrozenTask } from '../frozen-task.js';
import type { TaskCollector } from '../collector.js';
import type { DescribeContext, FileObject } from './file-kinds.js';
import { mappedFileOf } from './mapped-files.js';

// smaps VmFlags that madvise can set again.
const RESTORABLE_ADVICE = new Set(['dc', 'wf', 'dd', 'hg', 'nh', 'mg']);

function kindOf(m: MapEntry): VmaKind | 'skip' {
  if (m.path === '[vdso]') return VmaKind.VDSO;
  if (m.path === '[vvar]') return VmaKind.VVAR;
  if (m.path === '[vvar_vclock]') return VmaKind.VVAR_VCLOCK;
  if (m.path === '[vsyscall]') return 'skip';
  if (m.path.startsWith('/SYSV')) return VmaKind.SYSV_SHM;
  const shared = m.perms[3] === 's';
  const isFile = m.inode !== 0n && m.path.startsWith('/');
  if (shared) return isFile && !m.path.startsWith('/dev/zero') ? VmaKind.FILE_SHARED : VmaKind.ANON_SHARED;
  return isFile ? VmaKind.FILE_PRIVATE : VmaKind.ANON_PRIVATE;
}

function protOf(perms: string): number {
  return (perms[0] === 'r' ? 1 : 0) | (perms[1] === 'w' ? 2 : 0) | (perms[2] === 'x' ? 4 : 0);
}

/** A mapping of a memfd or of a file unlinked while open: the file record it maps, and its size. */
function mappedDeletedFile(pid: number, m: MapEntry, files: DescribeContext, fresh: FileObject[]): { fileId: string; fileSize: bigint } {
  const mapped = mappedFileOf(pid, m, files);
  if (mapped === null) throw new Error(`pid ${pid}: mapping of a deleted file ${m.path} is not supported yet`);
  if (typeof mapped === 'string') throw new Error(`pid ${pid}: cannot carry ${mapped}`);
  if (mapped.fresh) fresh.push(mapped.file);
  const { payload } = mapped.file as Extract<FileObject, { kind: 'memfd' | 'ghost' }>;
  return { fileId: mapped.file.id, fileSize: payload.size };
}

function describeVmas(pid: number, maps: MapEntry[], files: DescribeContext, fresh: FileObject[]): Vma[] {
  const out: Vma[] = [];
  for (const m of maps) {
    const kind = kindOf(m);
    if (kind === 'skip') continue;
    let fileSize = 0n;
    let fileId = '';
    if ((kind === VmaKind.FILE_PRIVATE || kind === VmaKind.FILE_SHARED) && m.path.endsWith(' (deleted)')) {
      ({ fileId, fileSize } = mappedDeletedFile(pid, m, files, fresh));
    } else if (kind === VmaKind.FILE_PRIVATE || kind === VmaKind.FILE_SHARED) {
      const st = fs.statSync(m.path, { bigint: true });
      if (st.ino !== m.inode) throw new Error(`pid ${pid}: ${m.path} was replaced after it was mapped`);
      fileSize = st.size;
    }
    out.push({
      pid,
      start: m.start,
      end: m.end,
      kind,
      prot: protOf(m.perms),
      pgoff: m.offset,
      path: m.path,
      dev: m.inode !== 0n ? devNumber(m.dev) : 0n,
      ino: m.inode,
      fileSize,
      growsdown: m.vmFlags.includes('gd'),
      advice: m.vmFlags.filter((f) => RESTORABLE_ADVICE.has(f)),
      // maps shows a System V attach's segment id as its inode.
      shmid: kind === VmaKind.ANON_SHARED || kind === VmaKind.SYSV_SHM ? m.inode : 0n,
      fileId,
    });
  }
  return out;
}

/** The mappings each task's records describe, for its pages that come after them. */
const written = new WeakMap<FrozenTask, Vma[]>();

export const vmaCollector: TaskCollector = {
  name: 'mappings',
  async collect(task, dump, sink) {
    const fresh: FileObject[] = [];
    const vmas = describeVmas(task.pid, readSmaps(task.pid), dump.files, fresh);
    // TypeScript cannot pair kind and payload through the union; FileObject's definition does.
    for (const file of fresh) await sink.put(file.kind, file.id, file.payload as never);
    for (const vma of vmas) await sink.put('vma', `vma:${task.pid}:${vma.start.toString(16)}`, vma);
    written.set(task, vmas);
    return `${vmas.length} mappings`;
  },
};

/** The task's mappings as the vma collector wrote them. */
export function vmasOf(task: FrozenTask): Vma[] {
  const vmas = written.get(task);
  if (!vmas) throw new Error(`pid ${task.pid}: its pages come before its mappings were written`);
  return vmas;
}
