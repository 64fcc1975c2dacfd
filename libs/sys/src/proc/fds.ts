import fs from 'node:fs';

export interface FdInfo {
  fd: number;
  target: string;      // readlink of /proc/PID/fd/N
  pos: bigint;
  flags: number;       // open flags as fdinfo reports them, O_CLOEXEC included
  mntId: number;
  /** The whole of /proc/PID/fdinfo/N: kinds read their own lines (eventfd-count, tfd, tty-index). */
  text: string;
}

export function listFds(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
}

export function readFdInfo(pid: number, fd: number): FdInfo {
  const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
  const text = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
  const info: FdInfo = { fd, target, pos: 0n, flags: 0, mntId: 0, text };
  for (const line of text.split('\n')) {
    const [key, value] = line.split(':').map((s) => s.trim());
    if (key === 'pos') info.pos = BigInt(value!);
    else if (key === 'flags') info.flags = parseInt(value!, 8);
    else if (key === 'mnt_id') info.mntId = Number(value);
  }
  return info;
}
