import fs from 'node:fs';
import { queuedForTheTree, type External } from '@ferry/proto';
import { dupAtLeast, O_NONBLOCK, O_CLOEXEC } from '@ferry/sys';
import type { SharedContext } from '../shared-context.js';
import type { ObjectKind } from '../object-kind.js';

const O_WRONLY = 1;

/**
 * The descriptors the caller hands over (--inherit-fd) take the place of the files they stand for.
 * Ferry works on duplicates numbered above every descriptor the tree restores, so no number the
 * caller chose can clash with one a task gets back, and the caller's own stays as it was.
 */
function takeInheritedFds(ctx: SharedContext, opened: Map<string, number>): void {
  const above = ctx.image.byKind('fd').reduce((max, f) => Math.max(max, f.fd + 1), 3);
  for (const [id, fd] of ctx.inherited) {
    try {
      opened.set(id, dupAtLeast(fd, above));
    } catch (e) {
      throw new Error(`fd ${fd}, handed over with --inherit-fd, cannot be used (${(e as Error).message})`);
    }
  }
  for (const external of ctx.image.byKind('external')) giveBackQueued(external, ctx.inherited.get(external.id), opened.get(external.id));
}

/**
 * What the outside had written into a pipe the tree read and the tree had not read yet: the
 * pipe handed over gets it first (through a write end of our own, opened as /proc shows it).
 */
function giveBackQueued(external: External, handedOver: number | undefined, fd: number | undefined): void {
  const queued = queuedForTheTree(external);
  if (queued.length === 0 || fd === undefined) return;
  const cannot = (why: string) => new Error(`${external.name} had ${queued.length} bytes queued for the tree to read, and fd ${handedOver}, handed over for it, ${why}`);
  if (!fs.fstatSync(fd).isFIFO()) throw cannot('is not a pipe');
  const writer = fs.openSync(`/proc/self/fd/${fd}`, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  try {
    let written: number;
    try {
      written = fs.writeSync(writer, queued);
    } catch (e) {
      throw cannot(`cannot take them (${(e as NodeJS.ErrnoException).code})`);
    }
    if (written !== queued.length) throw cannot(`took only ${written} of them`);
  } finally {
    fs.closeSync(writer);
  }
}

/** Objects the dump left out: the caller hands each over, and ferry takes those first, before any kind opens anything. */
export const externalKind: ObjectKind = {
  name: 'inherited',
  files: (image) => image.byKind('external').map((f) => ({ id: f.id, name: f.name, leftOut: true })),
  check: () => ({ open: takeInheritedFds }),
};
