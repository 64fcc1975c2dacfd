import type { Inotify } from '../generated/messages.js';
import { checkAbsolutePath, checkNotEmpty, checkUnique, fail, hex } from './checks.js';

const O_NONBLOCK = 0o4000;
const IN_ALL_EVENTS = 0xfff, IN_EXCL_UNLINK = 0x4000000, IN_ONESHOT = 0x80000000;
const INT_MAX = 0x7fffffff;

export function validateInotify(n: Inotify): void {
  checkNotEmpty(n.id, 'id');
  if (n.flags & ~O_NONBLOCK) fail(`flags 0o${n.flags.toString(8)} are not inotify flags`);
  checkUnique(n.watches.map((w) => w.wd), 'watches');
  n.watches.forEach((w, i) => {
    const field = `watches[${i}] (wd ${w.wd})`;
    if (w.wd < 1 || w.wd > INT_MAX) fail(`${field}: wd is not a watch descriptor`);
    checkAbsolutePath(w.path, `${field}: path`);
    if ((w.mask & IN_ALL_EVENTS) === 0) fail(`${field}: mask ${hex(w.mask)} watches no event`);
    if ((w.mask & ~(IN_ALL_EVENTS | IN_EXCL_UNLINK | IN_ONESHOT)) >>> 0 !== 0) fail(`${field}: mask ${hex(w.mask)} has bits that are no IN_* watch flags`);
  });
}
