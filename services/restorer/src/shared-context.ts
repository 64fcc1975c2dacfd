import type { Image } from '@ferry/proto';
import type { Log } from './log.js';
import type { Stub } from './stub.js';

/** What a kind's opener has in RESTORE_SHARED, before any task exists. */
export interface SharedContext {
  image: Image;
  log: Log;
  /** The seed process: helpers (dead pids of /proc remaps) are cloned from it. */
  stub: Stub;
  /** Pids of helper tasks made for this restore; they are removed when the tree is complete. */
  helpers: number[];
  /** File id -> the caller's descriptor that replaces it (--inherit-fd): its kind does not open it. */
  inherited: ReadonlyMap<string, number>;
  /** The tree is a shell job: its external terminal becomes ferry's own (-j). */
  shellJob: boolean;
  /** Established TCP connections may be brought back (--tcp-established). */
  tcpEstablished: boolean;
}

/** The files of FILES that the caller does not hand over, which their kind opens itself. */
export function notInherited<T extends { id: string }>(ctx: SharedContext, files: T[]): T[] {
  return files.filter((f) => !ctx.inherited.has(f.id));
}
