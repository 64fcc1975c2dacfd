import fs from 'node:fs/promises';
import { preallocateAsync, punchHole } from './file-space.js';

const TMPFS_MAGIC = 0x01021994;
const ZEROS = 16 << 20;
/**
 * Writing the room stops after this long (what is left is reserved, untouched): its caller waits
 * for it before the freeze, and an image server's open must answer within its request timeout.
 */
const TOUCH_MS = 5000;
/** Room made up front never takes the file's filesystem below this much free space. */
const MIN_FREE_BYTES = 256 << 20;

/**
 * Makes room for about BYTES of pages in the empty file FH (at FILE) before they come, so that
 * storing them while the tree is frozen costs a copy and nothing more. fallocate reserves the
 * blocks; on tmpfs it leaves the memory untouched until the first write, and in a VM whose host
 * takes free memory back (virtio-balloon free page reporting, as here) that first write is a host
 * fault: a page stream's receiver copied at 0.4 GB/s into such room against 1-2 GB/s into memory
 * written once. So on tmpfs the room is also written with zeros, which gives the file that size:
 * the owner truncates it to what came (giveBackRoom). The room leaves the filesystem
 * MIN_FREE_BYTES free. Resolves with the room made (0 when none could be).
 */
export async function makeRoom(fh: fs.FileHandle, file: string, bytes: number): Promise<number> {
  let room: number;
  let tmpfs: boolean;
  try {
    const st = await fs.statfs(file);
    room = Math.min(bytes, Math.max(0, st.bavail * st.bsize - MIN_FREE_BYTES));
    tmpfs = st.type === TMPFS_MAGIC;
    // On a libuv thread: gigabytes take seconds, and the receiver has other work meanwhile.
    if (room > 0) await preallocateAsync(fh.fd, room);
  } catch {
    // A filesystem without fallocate, or no room for it now: the writes allocate as they go.
    return 0;
  }
  if (!tmpfs || room === 0) return room;
  const zeros = Buffer.alloc(Math.min(ZEROS, room));
  const deadline = performance.now() + TOUCH_MS;
  for (let at = 0; at < room && performance.now() < deadline; at += zeros.length) {
    await fh.write(zeros, 0, Math.min(zeros.length, room - at), at);
  }
  return room;
}

/** Gives back the room past END that no bytes came for (tmpfs frees it on the punch, ext4 on the truncate). */
export async function giveBackRoom(fh: fs.FileHandle, room: number, end: number): Promise<void> {
  if (room <= end) return;
  punchHole(fh.fd, end, room - end);
  await fh.truncate(end);
}
