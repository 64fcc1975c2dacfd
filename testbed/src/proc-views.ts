// What a user can see of a process from outside, in a form that must not change across a
// checkpoint and restore.
import fs from 'node:fs';

/**
 * /proc/PID/maps without the inode of anonymous shared memory: a restore makes a new shmem
 * object for it, with its own inode, which is not something the process can tell apart.
 */
export function mapsOf(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n').map((line) => {
    const [range, perms, offset, dev, inode, ...path] = line.split(/\s+/);
    const name = path.join(' ');
    return name === '/dev/zero (deleted)' ? `${range} ${perms} ${offset} ${name}` : `${range} ${perms} ${offset} ${dev} ${inode} ${name}`;
  });
}

/** The given fields of /proc/PID/status, by name. */
export function statusFields(pid: number, fields: string[]): Record<string, string> {
  const entries = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').map((l) => l.split(':\t'));
  return Object.fromEntries(entries.filter(([k]) => fields.includes(k!)).map(([k, v]) => [k, v!.trim()]));
}
