import fs from 'node:fs/promises';
import { preallocateAsync, punchHole } from '@ferry/sys';

const TMPFS_MAGIC = 0x01021994;
const ZEROS = 16 << 20;
/**
 * Writing the room stops after this long (what is left is reserved, untouched): its caller waits
 * for it before the freeze, and an image server's open must answer within its request timeout.
 */
const TOUCH_MS = 5000;

/**
 * Makes room for BYTES of pages in the empty file FH (at FILE) before they come, so that storing
 * them during the dump's downtime costs a copy and nothing more. fallocate reserves the blocks; on
 * tmpfs it leaves the memory untouched until the first write, and in a VM whose host takes free
 * memory back (virtio-balloon free page reporting, as here) that first write is a host fault: the
 * page stream's receiver copied at 0.4 GB/s into such room against 1-2 GB/s into memory written
 * once. So on tmpfs the room is also written with zeros, which gives the file that size: the
 * owner truncates it to what came (giveBackRoom). Resolves with the room made (0 when none could be).
 */
export async function makeRoom(fh: fs.FileHandle, file: string, bytes: number): Promise<number> {
  try {
    // On a libuv thread: gigabytes take seconds, and the receiver has other work meanwhile.
    await preallocateAsync(fh.fd, bytes);
  } catch {
    // A filesystem without fallocate, or no room for it now: the writes allocate as they go.
    return 0;
  }
  if ((await fs.statfs(file)).type !== TMPFS_MAGIC) return bytes;
  const zeros = Buffer.alloc(Math.min(ZEROS, bytes));
  const deadline = performance.now() + TOUCH_MS;
  for (let at = 0; at < bytes && performance.now() < deadline; at += zeros.length) {
    await fh.write(zeros, 0, Math.min(zeros.length, bytes - at), at);
  }
  return bytes;
}

/** Gives back the room past END that no bytes came for (tmpfs frees it on the punch, ext4 on the truncate). */
export async function giveBackRoom(fh: fs.FileHandle, room: number, end: number): Promise<void> {
  if (room <= end) return;
  punchHole(fh.fd, end, room - end);
  await fh.truncate(end);
}
