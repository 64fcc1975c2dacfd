import type { MemFd } from '../generated/messages.js';
import { checkFileOffset, checkNotEmpty, fail } from './checks.js';

/** A memfd's bytes ride in its record: keep records far below the frame limit. */
export const MEMFD_CONTENTS_MAX = 16 << 20;
/** memfd_create refuses longer names. */
const NAME_MAX = 249;
/** F_SEAL_SEAL, SHRINK, GROW, WRITE, FUTURE_WRITE, EXEC. */
export const ALL_SEALS = 0x3f;
// Reopening with these would create, truncate or leak the file.
const FORBIDDEN_FLAGS = 0o100 | 0o200 | 0o1000 | 0o2000000;

/** A file whose bytes ride in its record: all of them (in its first record) or none, at most MAX. */
export function checkCarriedContents(f: { size: bigint; contents: Uint8Array }, max: number, what: string): void {
  if (f.size > BigInt(max)) fail(`size ${f.size} exceeds the ${max} bytes a checkpoint keeps of ${what}`);
  if (f.contents.length !== 0 && BigInt(f.contents.length) !== f.size) fail(`${f.contents.length} bytes of contents for a file of ${f.size}`);
}

export function validateMemFd(m: MemFd): void {
  checkNotEmpty(m.id, 'id');
  if (Buffer.byteLength(m.name) > NAME_MAX) fail(`name is ${Buffer.byteLength(m.name)} bytes long, more than the ${NAME_MAX} memfd_create takes`);
  if (m.flags & FORBIDDEN_FLAGS) fail(`flags 0o${m.flags.toString(8)} include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC`);
  if ((m.flags & 3) === 3) fail('flags have an access mode of 3');
  checkFileOffset(m.pos, 'pos');
  checkCarriedContents(m, MEMFD_CONTENTS_MAX, 'a memfd');
  if (m.seals & ~ALL_SEALS) fail(`seals 0x${m.seals.toString(16)} are not memfd seals`);
  if (m.mode > 0o7777) fail(`mode 0o${m.mode.toString(8)} is not a permission mode`);
}
