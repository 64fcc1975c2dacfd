import fs from 'node:fs';
import path from 'node:path';
import type { Ghost } from '@ferry/proto';
import { O_CLOEXEC } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import type { Log } from '../log.js';
import { carrierOf, byFile, fill, openDescriptions } from './contents-carrier.js';

const O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200;

/**
 * The ghost is made again at its own path when that is free, else under a name of its own beside
 * it: whatever holds the path now is left alone.
 */
function makeAgain(ghost: Ghost, log: Log): { fd: number; at: string } {
  const beside = `${ghost.path}.ferry-ghost-${ghost.ino}`;
  for (const at of [ghost.path, beside]) {
    try {
      return { fd: fs.openSync(at, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600), at };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') {
        log.info(`ghost file ${ghost.path}: another file has its path now, so it is made as ${beside}`);
        continue;
      }
      if (code === 'ENOENT') throw new Error(`ghost file ${ghost.path} (deleted, kept in the checkpoint) cannot be made again: its directory ${path.dirname(ghost.path)} is gone`);
      throw new Error(`ghost file ${ghost.path} (deleted, kept in the checkpoint) cannot be made again: ${(e as Error).message}`);
    }
  }
  throw new Error(`ghost file ${ghost.path} (deleted, kept in the checkpoint) cannot be made again: other files hold both its path and ${beside}`);
}

/** One ghost file: made with its bytes and mode, opened for each description, and unlinked again. */
function openGhost(ghost: Ghost, descriptions: Ghost[], opened: Map<string, number>, log: Log): void {
  const made = makeAgain(ghost, log);
  try {
    fill(made.fd, ghost);
    fs.fchmodSync(made.fd, ghost.mode);
    openDescriptions(made.fd, descriptions, opened, `ghost file ${ghost.path}`);
  } finally {
    fs.unlinkSync(made.at);
    fs.closeSync(made.fd);
  }
}

export const ghostKind: ObjectKind = {
  name: 'ghost',
  files: (image) => image.byKind('ghost').map((f) => ({ id: f.id })),
  check(image) {
    const groups = byFile(image.byKind('ghost'), (g) => `${g.dev}:${g.ino}`).map((descriptions) => {
      const what = `ghost file ${descriptions[0]!.path} (inode ${descriptions[0]!.ino})`;
      return { ghost: carrierOf(descriptions, what), descriptions };
    });
    return { open: (ctx, opened) => { for (const g of groups) openGhost(g.ghost, g.descriptions, opened, ctx.log); } };
  },
};
