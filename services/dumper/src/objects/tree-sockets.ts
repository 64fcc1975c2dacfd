import { fdInfosOf, type DescribeContext } from './file-kinds.js';

const SOCKET = /^socket:\[(\d+)\]$/;

const inodes = new WeakMap<DescribeContext, ReadonlySet<number>>();

function socketInodesOf(ctx: DescribeContext, pid: number): number[] {
  const found: number[] = [];
  try {
    for (const info of fdInfosOf(ctx, pid)) {
      const m = SOCKET.exec(info.target);
      if (m) found.push(Number(m[1]));
    }
  } catch {
    // a zombie or a task that ended: no descriptors
  }
  return found;
}

/** Inodes of the sockets some task of the tree has a descriptor on, read once per dump. */
export function treeSocketInodes(ctx: DescribeContext): ReadonlySet<number> {
  let found = inodes.get(ctx);
  if (!found) inodes.set(ctx, (found = new Set([...ctx.tree].flatMap((pid) => socketInodesOf(ctx, pid)))));
  return found;
}

/** The inode of a socket descriptor's target (socket:[INODE]), or null for anything else. */
export function socketInode(target: string): number | null {
  const m = SOCKET.exec(target);
  return m ? Number(m[1]) : null;
}
