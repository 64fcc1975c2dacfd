import type { Image, SysvShm, Vma } from '@ferry/proto';
import { VmaKind } from '@ferry/proto';
import { createSysvShm, readSysvShm, removeSysvShm, setSysvShmOwner, sysvShmOfKey, type SysvShmSegment } from '@ferry/sys';
import type { ObjectKind, TreeView } from '../object-kind.js';
import type { Range } from '../address-space.js';
import { PlanError } from '../plan-error.js';

const PAGE = 4096n;
const keyName = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `key 0x${(key >>> 0).toString(16)}`);
const describe = (s: { key: number; size: bigint }) => `${keyName(s.key)}, ${s.size} bytes`;

/** Where a segment's attach begins, and the address range the kernel gives the whole segment there. */
export function attachRange(v: Vma, size: bigint): Range {
  const start = v.start - v.pgoff;
  return { start, end: start + ((size + PAGE - 1n) / PAGE) * PAGE };
}

function checkSegments(image: Image, tree: TreeView): { segments: SysvShm[]; reserved: Range[] } {
  const segments = image.byKind('sysvshm');
  const byId = new Map<number, SysvShm>();
  for (const s of segments) {
    if (byId.has(s.id)) throw new PlanError(`image: System V segment ${s.id} has two sysvshm records`);
    byId.set(s.id, s);
  }
  const attached = new Set<number>();
  const reserved: Range[] = [];
  for (const v of image.byKind('vma')) {
    if (v.kind !== VmaKind.SYSV_SHM || !tree.isLive(v.pid)) continue;
    const id = `vma:${v.pid}:${v.start.toString(16)}`;
    const seg = byId.get(Number(v.shmid));
    if (!seg) throw new PlanError(`image: vma ${id} attaches System V segment ${v.shmid}, which has no sysvshm record`);
    const range = attachRange(v, seg.size);
    if (v.start < v.pgoff || v.end > range.end) throw new PlanError(`image: vma ${id} reaches beyond System V segment ${seg.id} (${seg.size} bytes)`);
    attached.add(seg.id);
    reserved.push(range);
  }
  for (const s of segments) if (!attached.has(s.id)) throw new PlanError(`image: sysvshm sysvshm:${s.id}: no task of the tree attaches it`);
  return { segments, reserved };
}

/**
 * A segment still there with the image's id (the dumped tree ended, but no one removed it) is the
 * image's own when its key and size match and nothing has it attached: it is taken over, and its
 * contents are overwritten with the image's. Any other segment on the id or the key is someone
 * else's, and the restore fails rather than make a second one the program would not find.
 */
function reusable(s: SysvShm, present: SysvShmSegment | undefined): boolean {
  if (!present) return false;
  if (present.key === s.key && present.size === s.size && present.nattch === 0 && !s.removed) return true;
  throw new Error(`System V segment id ${s.id} is taken by another segment (${describe(present)}, ${present.nattch} attached): the image's (${describe(s)}) cannot have its id`);
}

function makeSegment(s: SysvShm): void {
  if (s.key !== 0) {
    const holder = sysvShmOfKey(s.key);
    if (holder !== undefined) throw new Error(`System V ${keyName(s.key)} is held by segment ${holder}, not by the image's segment ${s.id}`);
  }
  const got = createSysvShm(s.key, s.size, s.mode, s.id);
  if (got !== s.id) {
    removeSysvShm(got);
    throw new Error(`System V segment ${describe(s)} came back with id ${got}, not ${s.id} (another segment took the id meanwhile)`);
  }
}

/**
 * System V shared memory: each segment is made again in ferry's IPC namespace with its id, key,
 * size, owner and mode before any task exists; every task attaches it where it had it (in its
 * mappings' work), the pages of its attaches fill it, and a segment the program had removed is
 * removed again once every task has it attached.
 */
export const sysvShmKind: ObjectKind = {
  name: 'sysvshm',
  check(image, tree) {
    const { segments, reserved } = checkSegments(image, tree);
    const made: number[] = [];
    return {
      reservedRanges: reserved,
      open(ctx) {
        if (segments.length === 0) return;
        const present = new Map(readSysvShm().map((p) => [p.id, p]));
        for (const s of segments) {
          if (reusable(s, present.get(s.id))) ctx.log.debug(`System V segment ${s.id} (${describe(s)}) is still there: taken over`);
          else {
            makeSegment(s);
            made.push(s.id);
          }
          setSysvShmOwner(s.id, s.uid, s.gid, s.mode);
        }
      },
      participants: {
        RESTORE_SIGCHLD: () => segments.filter((s) => s.removed).map((s) => ({
          name: `System V segment ${s.id} removal`,
          work: () => removeSysvShm(s.id),
        })),
      },
      undo() {
        for (const id of made.splice(0)) removeSysvShm(id);
      },
    };
  },
};
