import type { Image } from '@ferry/proto';
import type { Log } from '../log.js';
import type { Stub } from '../stub.js';
import { openRegularFiles } from './regfile.js';
import { forkProcfsHelpers } from './remap.js';

export interface SharedContext {
  image: Image;
  log: Log;
  /** The seed process: helpers (dead pids of /proc remaps) are cloned from it. */
  stub: Stub;
  /** Pids of helper tasks made for this restore; they are removed when the tree is complete. */
  helpers: number[];
}

/**
 * One entry per file kind: which file ids the image holds of that kind, and how ferry opens them
 * (in RESTORE_SHARED, before any task exists) into `opened`, id -> ferry's descriptor. Tasks then
 * take their descriptors from ferry (fd.ts), whatever the kind.
 */
export interface FileKind {
  /** For messages: `${name} files` is a participant of RESTORE_SHARED. */
  name: string;
  ids(image: Image): string[];
  open(ctx: SharedContext, opened: Map<string, number>): void;
}

export const FILE_KINDS: FileKind[] = [
  // First: the helpers it makes let the regular-file opener reach dead processes' /proc files.
  {
    name: 'dead-pid /proc',
    ids: () => [],
    open: (ctx) => forkProcfsHelpers(ctx),
  },
  {
    name: 'regular',
    ids: (image) => image.byKind('regfile').map((f) => f.id),
    open: (ctx, opened) => openRegularFiles(ctx.image.byKind('regfile'), opened),
  },
];
