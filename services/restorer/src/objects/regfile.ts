import fs from 'node:fs';
import type { RegFile } from '@ferry/proto';
import { RegFileType, onlyAppendedTo } from '@ferry/proto';
import { native, errno, SysError } from '@ferry/sys';
import type { ObjectKind } from '../object-kind.js';
import { notInherited } from '../shared-context.js';

const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const SEEK_SET = 0;

function openOne(file: RegFile): number {
  let st: fs.BigIntStats;
  try {
    st = fs.statSync(file.path, { bigint: true });
  } catch {
    throw new Error(`file ${file.path} is gone (it was open as ${file.id})`);
  }
  if (file.type === RegFileType.REGULAR) {
    if (!st.isFile()) throw new Error(`${file.path} is no longer a regular file`);
    if (st.size !== file.size && !onlyAppendedTo(file)) {
      throw new Error(`file ${file.path} changed size since the dump (was ${file.size} bytes, now ${st.size}): it was open to be read or written in place, so put it back as it was, or hand another file over with --inherit-fd fd[N]:${file.path}`);
    }
  } else if (file.type === RegFileType.CHARDEV) {
    if (!st.isCharacterDevice() || Number(st.rdev) !== file.rdev) throw new Error(`${file.path} is no longer the character device it was`);
  } else if (!st.isDirectory()) {
    throw new Error(`${file.path} is no longer a directory`);
  }
  const flags = file.flags | O_CLOEXEC | (file.type === RegFileType.DIRECTORY ? O_DIRECTORY : 0);
  const fd = fs.openSync(file.path, flags);
  if (file.pos !== 0n && Number(native.lseek(fd, Number(file.pos), SEEK_SET)) < 0) {
    fs.closeSync(fd);
    throw new SysError('lseek', errno(), file.path);
  }
  return fd;
}

/** Opens every file of the image in ferry, at its offset; tasks then take them (see fd.ts). */
function openRegularFiles(files: RegFile[], opened: Map<string, number>): void {
  for (const f of files) opened.set(f.id, openOne(f));
}

export const regularFileKind: ObjectKind = {
  name: 'regular',
  files: (image) => image.byKind('regfile').map((f) => ({ id: f.id, name: f.path })),
  check: (image) => ({ open: (ctx, opened) => openRegularFiles(notInherited(ctx, image.byKind('regfile')), opened) }),
};
