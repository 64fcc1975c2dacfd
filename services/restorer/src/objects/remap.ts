import { RegFileType, type Image } from '@ferry/proto';
import { processExists, readStat } from '@ferry/sys';
import type { SharedContext } from '../shared-context.js';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';

/** Remap records must name a /proc file of the image under the very pid they name, and no task of the tree. */
function checkRemaps(image: Image, treePids: ReadonlySet<number>): void {
  const remaps = image.byKind('remap');
  const files = new Map(image.byKind('regfile').map((f) => [f.id, f]));
  for (const r of remaps) {
    const file = files.get(r.fileId);
    if (!file) throw new PlanError(`image: remap remap:${r.fileId} names file ${r.fileId}, which the image does not have`);
    const dir = `/proc/${r.pid}`;
    if (file.path !== dir && !file.path.startsWith(`${dir}/`)) throw new PlanError(`image: remap remap:${r.fileId} is for pid ${r.pid} but the file is ${file.path}`);
    if (file.path === dir && file.type !== RegFileType.DIRECTORY) throw new PlanError(`image: remap remap:${r.fileId}: ${dir} must be a directory`);
    if (treePids.has(r.pid)) throw new PlanError(`image: remap remap:${r.fileId} gives pid ${r.pid} to a helper, but a task of the tree has it`);
  }
}

/**
 * Files under /proc/PID of a process that was dead at dump time: a helper task takes PID, so the
 * paths open again (the regular-file opener runs next), and it is killed once the tree is
 * complete, leaving the files pointing at a dead process as before.
 */
function forkProcfsHelpers(ctx: SharedContext): void {
  const pids = new Set(ctx.image.byKind('remap').map((r) => r.pid));
  for (const pid of pids) {
    if (processExists(pid)) {
      const who = readStat(pid);
      throw new Error(`pid ${pid} is taken (by ${who.comm}): a helper needs it to reopen files the dumped tree held under /proc/${pid}`);
    }
    ctx.helpers.push(ctx.stub.fork(pid));
    ctx.log.debug(`helper ${pid} made for files under /proc/${pid}`);
  }
}

/** Before the regular files: the helpers it makes let their opener reach dead processes' /proc files. */
export const remapKind: ObjectKind = {
  name: 'dead-pid /proc',
  check(image, tree) {
    checkRemaps(image, tree.tids);
    return { open: forkProcfsHelpers };
  },
};
