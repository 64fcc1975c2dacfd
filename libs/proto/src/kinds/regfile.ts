import { checkAbsolutePath, checkFileOffset, checkNotEmpty, fail } from './checks.js';

/** Values of regfile.proto's RegFile.Type. */
export enum RegFileType {
  REGULAR = 0,
  CHARDEV = 1,
  DIRECTORY = 2,
}

/** An open file description on a regular file or a plain character device. Object id: "file:DEV:INO:POS-ID". */
export interface RegFile {
  id: string;
  type: RegFileType;
  path: string;
  /** open(2) flags without O_CLOEXEC, O_CREAT, O_TRUNC, O_EXCL. */
  flags: number;
  pos: bigint;
  /** Regular files: size at dump; a different size refuses the restore. */
  size: bigint;
  mode: number;
  dev: bigint;
  ino: bigint;
  /** Character devices. */
  rdev: number;
}

declare module '../kind-payloads.js' {
  interface KindPayloads {
    regfile: RegFile;
  }
}

// Reopening with these would create, truncate or leak the file: the dumper strips them.
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const FORBIDDEN_FLAGS = O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC;
/** st_mode: type and permission bits. */
const MODE_MAX = 0o177777;

export function validateRegFile(f: RegFile): void {
  checkNotEmpty(f.id, 'id');
  checkAbsolutePath(f.path, 'path');
  if (f.flags & FORBIDDEN_FLAGS) fail(`flags 0o${f.flags.toString(8)} include O_CREAT, O_EXCL, O_TRUNC or O_CLOEXEC`);
  checkFileOffset(f.pos, 'pos');
  checkFileOffset(f.size, 'size');
  if (f.mode > MODE_MAX) fail(`mode 0o${f.mode.toString(8)} is not a file mode`);
}
