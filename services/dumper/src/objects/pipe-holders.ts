import fs from 'node:fs';
import type { DescribeContext } from './file-kinds.js';

/** Per dump: anonymous pipe name -> a pid outside the tree holding it. Built on first need. */
const outsideHolders = new WeakMap<DescribeContext, Map<string, number>>();

/** A process outside the tree (and other than ferry) that holds pipe TARGET, if any. */
export function pipeHolderOutside(ctx: DescribeContext, target: string): number | undefined {
  let index = outsideHolders.get(ctx);
  if (!index) outsideHolders.set(ctx, (index = indexPipesOutside(ctx.tree)));
  return index.get(target);
}

// Every process's descriptors are read once: the kernel tells no one how many ends a pipe has.
function indexPipesOutside(tree: ReadonlySet<number>): Map<string, number> {
  const index = new Map<string, number>();
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0 || tree.has(pid) || pid === process.pid) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone meanwhile
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith('pipe:') && !index.has(target)) index.set(target, pid);
    }
  }
  return index;
}
