import fs from 'node:fs';
import type { MemFd } from '@ferry/proto';
import { memfdCreate, addSeals, MFD_CLOEXEC, MFD_ALLOW_SEALING } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { carrierOf, byFile, fill, openDescriptions } from './contents-carrier.js';

/**
 * One memfd: made afresh with its name and bytes, then its mode and seals (last: they may forbid
 * the writes), then opened again through /proc for each description, at its offset.
 */
function openMemFd(file: MemFd, descriptions: MemFd[], opened: Map<string, number>): void {
  const base = memfdCreate(file.name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  try {
    fill(base, file);
    fs.fchmodSync(base, file.mode);
    if (file.seals !== 0) addSeals(base, file.seals);
    openDescriptions(base, descriptions, opened, `memfd ${file.name}`);
  } finally {
    fs.closeSync(base);
  }
}

export const memFdKind: ObjectKind = {
  name: 'memfd',
  files: (image) => image.byKind('memfd').map((f) => ({ id: f.id })),
  check(image) {
    const groups = byFile(image.byKind('memfd'), (m) => String(m.ino)).map((descriptions) => {
      const what = `memfd ${JSON.stringify(descriptions[0]!.name)} (inode ${descriptions[0]!.ino})`;
      return { file: carrierOf(descriptions, what), descriptions };
    });
    return { open: (_ctx, opened) => { for (const g of groups) openMemFd(g.file, g.descriptions, opened); } };
  },
};
