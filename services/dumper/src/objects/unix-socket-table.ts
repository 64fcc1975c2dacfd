import { unixSockets, type UnixDiag } from '@ferry/sys';
import type { DescribeContext } from './file-kinds.js';
import { treeSocketInodes } from './tree-sockets.js';

/** The kernel's unix sockets as one dump sees them, and which of them the tree holds. */
export interface UnixSocketTable {
  diag: ReadonlyMap<number, UnixDiag>;
  /** Inodes of the sockets some task of the tree has a descriptor on. */
  inTree: ReadonlySet<number>;
  /** Connecting socket's inode -> the listener in whose accept queue it waits. */
  waitingIn: ReadonlyMap<number, number>;
}

const tables = new WeakMap<DescribeContext, UnixSocketTable>();

/** Read once per dump, on first need: in the real pass the tree is frozen, so it holds still. */
export function unixSocketTable(ctx: DescribeContext): UnixSocketTable {
  let table = tables.get(ctx);
  if (!table) tables.set(ctx, (table = readTable(ctx)));
  return table;
}

function readTable(ctx: DescribeContext): UnixSocketTable {
  const diag = unixSockets();
  const inTree = treeSocketInodes(ctx);
  const waitingIn = new Map<number, number>();
  for (const d of diag.values()) for (const client of d.waiting) if (client !== 0) waitingIn.set(client, d.ino);
  return { diag, inTree, waitingIn };
}
