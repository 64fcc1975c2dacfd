import fs from 'node:fs';
import type { MemFd } from '@ferry/proto';
import { memfdCreate, addSeals, native, errno, SysError, MFD_CLOEXEC, MFD_ALLOW_SEALING, O_CLOEXEC } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { PlanError } from '../plan-error.js';

const SEEK_SET = 0;

/** The descriptions of each memfd, by its inode at dump. */
function byMemFd(files: MemFd[]): Map<bigint, MemFd[]> {
  const groups = new Map<bigint, MemFd[]>();
  for (const f of files) groups.set(f.ino, [...(groups.get(f.ino) ?? []), f]);
  return groups;
}

/** The record that carries the memfd's bytes; an image without it, or with two, is refused. */
function carrierOf(descriptions: MemFd[]): MemFd {
  const carriers = descriptions.filter((d) => d.contents.length > 0);
  const first = descriptions[0]!;
  const what = `memfd ${JSON.stringify(first.name)} (inode ${first.ino})`;
  if (carriers.length > 1) throw new PlanError(`image: ${carriers.length} records of ${what} carry its contents, at most one may`);
  if (new Set(descriptions.map((d) => d.size)).size !== 1) throw new PlanError(`image: the records of ${what} disagree on its size`);
  if (carriers.length === 0 && first.size !== 0n) throw new PlanError(`image: ${what} has ${first.size} bytes but none of its records carries them`);
  return carriers[0] ?? first;
}

/**
 * One memfd: made afresh with its name and bytes, then its mode and seals (last: they may forbid
 * the writes), then opened again through /proc for each description, at its offset.
 */
function openMemFd(file: MemFd, descriptions: MemFd[], opened: Map<string, number>): void {
  const base = memfdCreate(file.name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  try {
    if (file.contents.length > 0) fs.writeSync(base, file.contents, 0, file.contents.length, 0);
    fs.ftruncateSync(base, Number(file.size));
    fs.fchmodSync(base, file.mode);
    if (file.seals !== 0) addSeals(base, file.seals);
    for (const d of descriptions) {
      const fd = fs.openSync(`/proc/self/fd/${base}`, d.flags | O_CLOEXEC);
      opened.set(d.id, fd);
      if (d.pos !== 0n && Number(native.lseek(fd, Number(d.pos), SEEK_SET)) < 0) throw new SysError('lseek', errno(), `memfd ${d.name}`);
    }
  } finally {
    fs.closeSync(base);
  }
}

export const memFdKind: ObjectKind = {
  name: 'memfd',
  files: (image) => image.byKind('memfd').map((f) => ({ id: f.id })),
  check(image) {
    const groups = [...byMemFd(image.byKind('memfd')).values()].map((descriptions) => ({ file: carrierOf(descriptions), descriptions }));
    return { open: (_ctx, opened) => { for (const g of groups) openMemFd(g.file, g.descriptions, opened); } };
  },
};
