import type { SignalFd } from '../generated/messages.js';
import { checkNotEmpty, fail, hex } from './checks.js';

const O_NONBLOCK = 0o4000;
const O_RDWR = 2;
/** SIGKILL and SIGSTOP, which the kernel never lets a signalfd take. */
const UNCATCHABLE = (1n << 8n) | (1n << 18n);

export function validateSignalFd(s: SignalFd): void {
  checkNotEmpty(s.id, 'id');
  if (s.mask & UNCATCHABLE) fail(`mask ${hex(s.mask)} holds SIGKILL or SIGSTOP, which no signalfd reads`);
  if (s.flags & ~(O_NONBLOCK | O_RDWR)) fail(`flags 0o${s.flags.toString(8)} are not signalfd flags`);
}
