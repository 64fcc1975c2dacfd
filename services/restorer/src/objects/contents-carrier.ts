import fs from 'node:fs';
import { native, errno, SysError, O_CLOEXEC } from '@ferry/sys';
import { PlanError } from '../plan-error.js';

const SEEK_SET = 0;

/** A file whose bytes ride in the record of its first description (memfds, ghost files). */
interface Carried { size: bigint; contents: Uint8Array }

/** The description that carries the file's bytes; an image without it, or with two, or disagreeing on the size, is refused. */
export function carrierOf<T extends Carried>(descriptions: T[], what: string): T {
  const carriers = descriptions.filter((d) => d.contents.length > 0);
  const first = descriptions[0]!;
  if (carriers.length > 1) throw new PlanError(`image: ${carriers.length} records of ${what} carry its contents, at most one may`);
  if (new Set(descriptions.map((d) => d.size)).size !== 1) throw new PlanError(`image: the records of ${what} disagree on its size`);
  if (carriers.length === 0 && first.size !== 0n) throw new PlanError(`image: ${what} has ${first.size} bytes but none of its records carries them`);
  return carriers[0] ?? first;
}

/** RECORDS grouped by the file KEY names, in stream order. */
export function byFile<T>(records: T[], key: (r: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const r of records) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  return [...groups.values()];
}

/** Puts FILE's bytes into the new file BASE and gives it FILE's size (what lies beyond the bytes reads as zeros). */
export function fill(base: number, file: Carried): void {
  if (file.contents.length > 0) fs.writeSync(base, file.contents, 0, file.contents.length, 0);
  fs.ftruncateSync(base, Number(file.size));
}

/** Each description of the file BASE, opened again through /proc with its own flags, at its offset. */
export function openDescriptions(base: number, descriptions: { id: string; flags: number; pos: bigint }[], opened: Map<string, number>, what: string): void {
  for (const d of descriptions) {
    const fd = fs.openSync(`/proc/self/fd/${base}`, d.flags | O_CLOEXEC);
    opened.set(d.id, fd);
    if (d.pos !== 0n && Number(native.lseek(fd, Number(d.pos), SEEK_SET)) < 0) throw new SysError('lseek', errno(), what);
  }
}
