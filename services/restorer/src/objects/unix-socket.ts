import { unixSocketName, type Image, type UnixSocket } from '@ferry/proto';
import type { ObjectKind, TreeView } from '../object-kind.js';
import { PlanError } from '../plan-error.js';
import { linkUnixSockets, type UnixLinks } from './unix-socket-links.js';
import { makeUnixSockets } from './unix-socket-build.js';
import { fillUnixSockets } from './unix-socket-fill.js';

/** Socket id -> the first live task with a descriptor on it: the one that makes it when its maker is gone. */
function holders(image: Image, tree: TreeView): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of image.byKind('fd')) if (tree.isLive(f.pid) && !out.has(f.fileId)) out.set(f.fileId, f.pid);
  return out;
}

/** A socket handed over (--inherit-fd) cannot keep a connection to one ferry makes. */
function checkHandedOver(sockets: UnixSocket[], links: UnixLinks, inherited: ReadonlyMap<string, number>): UnixSocket[] {
  const mine = sockets.filter((s) => !inherited.has(s.id));
  for (const s of mine) {
    const peer = s.peerIno === 0n ? undefined : links.byIno.get(s.peerIno);
    const listener = links.waitingIn.get(s.ino);
    const other = [peer, listener].find((o) => o && inherited.has(o.id));
    if (other) throw new Error(`${unixSocketName(s)} is connected to ${unixSocketName(other)}, which --inherit-fd hands over: hand over both, or neither`);
  }
  return mine;
}

/**
 * AF_UNIX sockets. They are made in RESTORE, before the tasks' own work, each inside the task
 * whose pid its peer saw (so SO_PEERCRED reads as at dump), connected, bound and listening as
 * they were; then ferry refills their queues and sets their options, and the tasks take them
 * with their other descriptors (fd.ts).
 */
export const unixSocketKind: ObjectKind = {
  name: 'unix-socket',
  files: (image) => image.byKind('unix-socket').map((s) => ({ id: s.id, name: unixSocketName(s) })),
  check(image, tree) {
    const sockets = image.byKind('unix-socket');
    if (sockets.length === 0) return {};
    const links = linkUnixSockets(sockets);
    const holderOf = holders(image, tree);
    for (const s of sockets) if (!holderOf.has(s.id)) throw new PlanError(`image: unix socket ${s.id} is held by no live task`);
    let inherited: ReadonlyMap<string, number> = new Map();
    return {
      // Nothing is opened in RESTORE_SHARED: it is where the kind hears which sockets the caller hands over.
      open: (ctx) => { inherited = ctx.inherited; },
      participants: {
        RESTORE: (built, opened) => [{
          name: 'unix sockets',
          work: () => {
            const mine = checkHandedOver(sockets, links, inherited);
            const made = makeUnixSockets(mine, { built, links, opened, holderOf: (s) => holderOf.get(s.id)! });
            fillUnixSockets(mine, made, links);
          },
        }],
      },
    };
  },
};
