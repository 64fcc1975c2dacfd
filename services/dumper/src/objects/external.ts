import fs from 'node:fs';
import { parseObjectKey, type ObjectKey } from '@ferry/proto';
import { listFds, O_ACCMODE } from '@ferry/sys';
import type { FileDescriber } from './file-kinds.js';

/** A descriptor on what --inherit-fd left outside the checkpoint: only its name is kept. */
export const describeExternal: FileDescriber = (_pid, info, id, ctx) =>
  ctx.external.has(info.target) ? { kind: 'external', id, payload: { id, name: info.target, flags: info.flags & O_ACCMODE, queued: Buffer.alloc(0) } } : null;

function targetsOf(pid: number): string[] {
  try {
    return listFds(pid).map((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
  } catch {
    return []; // ended meanwhile
  }
}

/** What KEY names now: PID:FD is whatever that descriptor shows, whichever process holds it. */
function nameOf(key: string): string {
  let parsed: ObjectKey;
  try {
    parsed = parseObjectKey(key);
  } catch (e) {
    throw new Error(`--inherit-fd ${key}: ${(e as Error).message}`);
  }
  if ('name' in parsed) return parsed.name;
  try {
    return fs.readlinkSync(`/proc/${parsed.pid}/fd/${parsed.fd}`);
  } catch {
    throw new Error(`--inherit-fd ${key}: pid ${parsed.pid} has no fd ${parsed.fd}`);
  }
}

/**
 * The names (as /proc/PID/fd shows them) that --inherit-fd KEYS stand for. Each must be something
 * a descriptor of the tree refers to: anything else is a mistake the user hears of before the
 * tree is stopped.
 */
export function externalNames(keys: readonly string[], tree: readonly number[]): Set<string> {
  // Every descriptor of the tree is read only to check what was named.
  if (keys.length === 0) return new Set();
  const inTree = new Set(tree.flatMap(targetsOf));
  const names = new Set<string>();
  for (const key of keys) {
    const name = nameOf(key);
    if (!inTree.has(name)) throw new Error(`--inherit-fd ${key}: no descriptor of the tree of pid ${tree[0]} refers to ${name}`);
    names.add(name);
  }
  return names;
}
