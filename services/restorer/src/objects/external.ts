import { dupAtLeast } from '@ferry/sys';
import type { SharedContext } from '../shared-context.js';
import type { ObjectKind } from '../object-kind.js';

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
}

/** Objects the dump left out: the caller hands each over, and ferry takes those first, before any kind opens anything. */
export const externalKind: ObjectKind = {
  name: 'inherited',
  files: (image) => image.byKind('external').map((f) => ({ id: f.id, name: f.name, leftOut: true })),
  check: () => ({ open: takeInheritedFds }),
};
