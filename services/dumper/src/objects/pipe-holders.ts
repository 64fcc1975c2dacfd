import fs from 'node:fs';
import { listFds, readFdInfo, O_ACCMODE } from '@ferry/sys';
import type { DescribeContext } from './file-kinds.js';

/** Per dump: anonymous pipe name -> a pid outside the tree holding it. Built on first need. */
const outsideHolders = new WeakMap<DescribeContext, Map<string, number>>();
/** Per dump: anonymous pipe name -> the access modes the tree's descriptors have on it. */
const treeEnds = new WeakMap<DescribeContext, Map<string, Set<number>>>();

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

/**
 * Whether the tree holds both a read and a write end of pipe TARGET: such a pipe cannot be left
 * out, since one descriptor handed over at restore could stand for only one of them.
 */
export function treeHoldsBothEnds(ctx: DescribeContext, target: string): boolean {
  let index = treeEnds.get(ctx);
  if (!index) treeEnds.set(ctx, (index = indexPipeEnds(ctx.tree)));
  const modes = index.get(target) ?? new Set();
  return modes.has(O_RDWR) || (modes.has(O_RDONLY) && modes.has(O_WRONLY));
}

const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;

function indexPipeEnds(tree: ReadonlySet<number>): Map<string, Set<number>> {
  const index = new Map<string, Set<number>>();
  for (const pid of tree) {
    for (const fd of fdsOf(pid)) {
      let info;
      try {
        info = readFdInfo(pid, fd);
      } catch {
        continue; // closed meanwhile
      }
      if (!info.target.startsWith('pipe:')) continue;
      index.set(info.target, (index.get(info.target) ?? new Set()).add(info.flags & O_ACCMODE));
    }
  }
  return index;
}

function fdsOf(pid: number): number[] {
  try {
    return listFds(pid);
  } catch {
    return []; // gone meanwhile
  }
}
