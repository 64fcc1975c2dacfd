import type { External } from '../generated/messages.js';
import { checkNotEmpty, fail } from './checks.js';

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
}
