import type { SysvMsg } from '@ferry/proto';
import { createSysvMsg, drainMessages, readSysvMsgQueues, removeSysvMsg, sendMessage, setSysvMsgOwner, sysvMsgOfKey, type SysvMsgQueue } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';

const keyName = (key: number) => (key === 0 ? 'IPC_PRIVATE' : `key 0x${(key >>> 0).toString(16)}`);

function checkQueues(queues: SysvMsg[]): void {
  const ids = new Set<number>(), keys = new Set<number>();
  for (const q of queues) {
    if (ids.has(q.id)) throw new PlanError(`image: System V message queue ${q.id} has two sysvmsg records`);
    if (q.key !== 0 && keys.has(q.key)) throw new PlanError(`image: two System V message queues have ${keyName(q.key)}`);
    ids.add(q.id);
    keys.add(q.key);
  }
}

/**
 * As with segments (sysvshm.ts): a queue still there with the image's id and key is the one the
 * dumped tree left behind; it is emptied and given the image's messages. Any other queue on the
 * id is someone else's.
 */
function reusable(q: SysvMsg, present: SysvMsgQueue | undefined): boolean {
  if (!present) return false;
  if (present.key === q.key) return true;
  throw new Error(`System V message queue id ${q.id} is taken by another queue (${keyName(present.key)}): the image's (${keyName(q.key)}) cannot have its id`);
}

function makeQueue(q: SysvMsg): void {
  if (q.key !== 0) {
    const holder = sysvMsgOfKey(q.key);
    if (holder !== undefined) throw new Error(`System V ${keyName(q.key)} is held by message queue ${holder}, not by the image's queue ${q.id}`);
  }
  const got = createSysvMsg(q.key, q.mode, q.id);
  if (got !== q.id) {
    removeSysvMsg(got);
    throw new Error(`System V message queue ${keyName(q.key)} came back with id ${got}, not ${q.id} (another queue took the id meanwhile)`);
  }
}

/** System V message queues: made again before any task exists with their id, key, owner, mode, byte limit and messages in order. */
export const sysvMsgKind: ObjectKind = {
  name: 'sysvmsg',
  check(image) {
    const queues = image.byKind('sysvmsg');
    checkQueues(queues);
    const made: number[] = [];
    return {
      open(ctx) {
        if (queues.length === 0) return;
        const present = new Map(readSysvMsgQueues().map((p) => [p.id, p]));
        for (const q of queues) {
          if (reusable(q, present.get(q.id))) {
            ctx.log.debug(`System V message queue ${q.id} is still there: emptied and taken over`);
            drainMessages(q.id);
          } else {
            makeQueue(q);
            made.push(q.id);
          }
          setSysvMsgOwner(q.id, q.uid, q.gid, q.mode, q.qbytes);
          for (const m of q.messages) sendMessage(q.id, m);
        }
      },
      undo() {
        for (const id of made.splice(0)) removeSysvMsg(id);
      },
    };
  },
};
