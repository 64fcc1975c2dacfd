import { parseObjectKey, type Image } from '@ferry/proto';
import { KINDS } from './kinds.js';
import type { FileObject } from './object-kind.js';

/** A descriptor the caller hands over: fd N of ferry, for what KEY names (--inherit-fd fd[N]:KEY). */
export interface InheritFd {
  fd: number;
  /** pipe:[INODE], an absolute path, or PID:FD (what task PID held at fd FD at dump). */
  key: string;
}

/** File id -> the name /proc/PID/fd showed for it at dump, for every kind that can be handed over. */
function namesOf(files: FileObject[]): Map<string, string> {
  return new Map(files.flatMap((f) => (f.name === undefined ? [] : [[f.id, f.name] as const])));
}

function nameOfKey(image: Image, names: Map<string, string>, key: string, option: string): string {
  let parsed;
  try {
    parsed = parseObjectKey(key);
  } catch (e) {
    throw new Error(`${option}: ${(e as Error).message}`);
  }
  if ('name' in parsed) return parsed.name;
  const fd = image.byKind('fd').find((f) => f.pid === parsed.pid && f.fd === parsed.fd);
  const name = fd && names.get(fd.fileId);
  if (name === undefined) throw new Error(`${option}: pid ${parsed.pid} had no fd ${parsed.fd} that can be handed over in the checkpoint`);
  return name;
}

function heldBy(image: Image, fileId: string): string {
  return image.byKind('fd').filter((f) => f.fileId === fileId).map((f) => `fd ${f.fd} of pid ${f.pid}`).join(', ');
}

/**
 * Which file objects each handed-over descriptor replaces: every one that had the name its key
 * gives. Checked before anything is made: a key that names nothing, one object handed over twice,
 * or an object the dump left out that nobody hands over, is an error naming it.
 */
export function matchInheritFds(image: Image, inherit: readonly InheritFd[]): Map<string, number> {
  const files = KINDS.flatMap((k) => k.files?.(image) ?? []);
  const names = namesOf(files);
  const replaced = new Map<string, number>();
  for (const { fd, key } of inherit) {
    const option = `--inherit-fd fd[${fd}]:${key}`;
    const name = nameOfKey(image, names, key, option);
    const ids = [...names].filter(([, n]) => n === name).map(([id]) => id);
    if (ids.length === 0) throw new Error(`${option}: nothing in the checkpoint was ${name}`);
    for (const id of ids) {
      const earlier = replaced.get(id);
      if (earlier !== undefined && earlier !== fd) throw new Error(`${option}: ${name} is already handed over as fd ${earlier}`);
      replaced.set(id, fd);
    }
  }
  for (const f of files) {
    if (f.leftOut && !replaced.has(f.id)) throw new Error(`${f.name} (${heldBy(image, f.id)}) was left out of the checkpoint: restore with --inherit-fd fd[N]:${f.name}`);
  }
  return replaced;
}
