import type { External } from '../generated/messages.js';
import { checkNotEmpty, fail } from './checks.js';
import { PIPE_QUEUED_MAX } from './pipe.js';

const O_ACCMODE = 0o3;
const O_RDONLY = 0;

/**
 * How --inherit-fd names an object: as /proc/PID/fd shows it (`pipe:[INODE]`, an absolute path),
 * or as the descriptor FD that task PID held at dump (`PID:FD`).
 */
export type ObjectKey = { pid: number; fd: number } | { name: string };

const DESCRIPTOR_KEY = /^(\d+):(\d+)$/;
const INODE_NAME = /^[a-z_]+:\[\d+\]$/;

/** Throws an Error saying what is wrong with KEY. */
export function parseObjectKey(key: string): ObjectKey {
  const descriptor = DESCRIPTOR_KEY.exec(key);
  if (descriptor) return { pid: Number(descriptor[1]), fd: Number(descriptor[2]) };
  if (!isObjectName(key)) throw new Error(`${JSON.stringify(key)} names no object: use pipe:[INODE], an absolute path or PID:FD`);
  return { name: key };
}

/** A name as /proc/PID/fd shows an object: "pipe:[INODE]" and the like, or an absolute path. */
export function isObjectName(name: string): boolean {
  return name.startsWith('/') || INODE_NAME.test(name);
}

export function validateExternal(e: External): void {
  checkNotEmpty(e.id, 'id');
  if (!isObjectName(e.name)) fail(`name ${JSON.stringify(e.name)} is neither a path nor TYPE:[INODE]`);
  if (e.flags & ~O_ACCMODE || e.flags === O_ACCMODE) fail(`flags 0o${e.flags.toString(8)} are not an access mode (O_RDONLY, O_WRONLY or O_RDWR)`);
  if (e.queued.length === 0) return;
  if (!e.name.startsWith('pipe:[')) fail(`${e.queued.length} bytes queued in ${e.name}, which is not a pipe`);
  if (e.queued.length > PIPE_QUEUED_MAX) fail(`${e.queued.length} bytes queued exceed the ${PIPE_QUEUED_MAX} a checkpoint keeps`);
}

/** The bytes queued in an external pipe that the tree was yet to read: the pipe handed over at restore gets them first. */
export function queuedForTheTree(e: External): Buffer {
  return (e.flags & O_ACCMODE) === O_RDONLY ? Buffer.from(e.queued) : Buffer.alloc(0);
}
