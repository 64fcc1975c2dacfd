import type { SysvSem } from '@ferry/proto';
import { createSysvSem, readSysvSemSets, removeSysvSem, setSemaphoreValues, setSysvSemOwner, sysvSemOfKey, type SysvSemSet } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';

const keyName = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `key 0x${(key >>> 0).toString(16)}`);
const describe = (s: { key: number; nsems: number }) => `${keyName(s.key)}, ${s.nsems} semaphores`;

function checkSets(sets: SysvSem[]): void {
  const ids = new Set<number>(), keys = new Set<number>();
  for (const s of sets) {
    if (ids.has(s.id)) throw new PlanError(`image: System V semaphore set ${s.id} has two sysvsem records`);
    if (s.key !== 0 && keys.has(s.key)) throw new PlanError(`image: two System V semaphore sets have ${keyName(s.key)}`);
    ids.add(s.id);
    keys.add(s.key);
  }
}

/**
 * As with segments (sysvshm.ts): a set still there with the image's id, key and number of
 * semaphores is the one the dumped tree left behind, taken over and given the image's values;
 * any other set on the id is someone else's.
 */
function reusable(s: SysvSem, present: SysvSemSet | undefined): boolean {
  if (!present) return false;
  if (present.key === s.key && present.nsems === s.values.length) return true;
  throw new Error(`System V semaphore set id ${s.id} is taken by another set (${describe(present)}): the image's (${describe({ key: s.key, nsems: s.values.length })}) cannot have its id`);
}

function makeSet(s: SysvSem): void {
  if (s.key !== 0) {
    const holder = sysvSemOfKey(s.key);
    if (holder !== undefined) throw new Error(`System V ${keyName(s.key)} is held by semaphore set ${holder}, not by the image's set ${s.id}`);
  }
  const got = createSysvSem(s.key, s.values.length, s.mode, s.id);
  if (got !== s.id) {
    removeSysvSem(got);
    throw new Error(`System V semaphore set ${keyName(s.key)} came back with id ${got}, not ${s.id} (another set took the id meanwhile)`);
  }
}

/**
 * System V semaphore sets: made again before any task exists with their id, key, owner, mode
 * and values. Each semaphore's sempid becomes ferry's, and SEM_UNDO adjustments are not carried.
 */
export const sysvSemKind: ObjectKind = {
  name: 'sysvsem',
  check(image) {
    const sets = image.byKind('sysvsem');
    checkSets(sets);
    const made: number[] = [];
    return {
      open(ctx) {
        if (sets.length === 0) return;
        const present = new Map(readSysvSemSets().map((p) => [p.id, p]));
        for (const s of sets) {
          if (reusable(s, present.get(s.id))) ctx.log.debug(`System V semaphore set ${s.id} is still there: taken over`);
          else {
            makeSet(s);
            made.push(s.id);
          }
          setSysvSemOwner(s.id, s.uid, s.gid, s.mode);
          setSemaphoreValues(s.id, s.values);
        }
      },
      undo() {
        for (const id of made.splice(0)) removeSysvSem(id);
      },
    };
  },
};
