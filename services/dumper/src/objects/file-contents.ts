import fs from 'node:fs';

/** All SIZE bytes of the file open at FD, read from its start (its offset left alone). */
export function readWholeFile(fd: number, size: number, what: string): Buffer {
  const contents = Buffer.alloc(size);
  for (let done = 0; done < size; ) {
    const n = fs.readSync(fd, contents, done, size - done, done);
    if (n <= 0) throw new Error(`${what}: it ended after ${done} of its ${size} bytes while being copied`);
    done += n;
  }
  return contents;
}
