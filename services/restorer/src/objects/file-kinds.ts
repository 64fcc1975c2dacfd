import { pipeName, type Image } from '@ferry/proto';
import { notInherited, type SharedContext } from '../shared-context.js';
import { openRegularFiles } from './regfile.js';
import { openPipes } from './pipe.js';
import { takeInheritedFds } from './external.js';
import { forkProcfsHelpers } from './remap.js';
import { openEventFds } from './eventfd.js';
import { openEventPolls } from './eventpoll.js';
import { openTtys } from './tty.js';

/**
 * One entry per file kind: which file ids the image holds of that kind, and how ferry opens them
 * (in RESTORE_SHARED, before any task exists) into `opened`, id -> ferry's descriptor. Tasks then
 * take their descriptors from ferry (fd.ts), whatever the kind.
 */
export interface FileKind {
  /** For messages: `${name} files` is a participant of RESTORE_SHARED. */
  name: string;
  ids(image: Image): string[];
  /** Kinds a caller can hand over (--inherit-fd): [id, what /proc/PID/fd showed at dump] of each file. */
  names?(image: Image): [string, string][];
  open(ctx: SharedContext, opened: Map<string, number>): void;
}

export const FILE_KINDS: FileKind[] = [
  // First, so that every kind after it leaves alone the files the caller hands over.
  {
    name: 'inherited',
    ids: (image) => image.byKind('external').map((f) => f.id),
    names: (image) => image.byKind('external').map((f) => [f.id, f.name]),
    open: (ctx, opened) => takeInheritedFds(ctx, opened),
  },
  // Before the regular files: the helpers it makes let their opener reach dead processes' /proc files.
  {
    name: 'dead-pid /proc',
    ids: () => [],
    open: (ctx) => forkProcfsHelpers(ctx),
  },
  {
    name: 'regular',
    ids: (image) => image.byKind('regfile').map((f) => f.id),
    names: (image) => image.byKind('regfile').map((f) => [f.id, f.path]),
    open: (ctx, opened) => openRegularFiles(notInherited(ctx, ctx.image.byKind('regfile')), opened),
  },
  {
    name: 'pipe',
    ids: (image) => image.byKind('pipe').map((f) => f.id),
    names: (image) => image.byKind('pipe').map((f) => [f.id, pipeName(f)]),
    open: (ctx, opened) => openPipes(notInherited(ctx, ctx.image.byKind('pipe')), opened),
  },
  {
    name: 'eventfd',
    ids: (image) => image.byKind('eventfd').map((f) => f.id),
    open: (ctx, opened) => openEventFds(ctx.image.byKind('eventfd'), opened),
  },
  {
    name: 'epoll',
    ids: (image) => image.byKind('eventpoll').map((f) => f.id),
    open: (ctx, opened) => openEventPolls(ctx.image.byKind('eventpoll'), opened),
  },
  {
    name: 'tty',
    ids: (image) => image.byKind('ttyfile').map((f) => f.id),
    names: (image) => image.byKind('ttyfile').filter((f) => !f.devTty).map((f) => [f.id, f.master ? '/dev/ptmx' : `/dev/pts/${f.index}`]),
    open: (ctx, opened) => openTtys(ctx, opened),
  },
];
