import type { SysvMsg } from '../generated/messages.js';
import { fail } from './checks.js';
import { IPC_ID_MAX } from './sysvshm.js';

export function validateSysvMsg(q: SysvMsg): void {
  if (q.id > IPC_ID_MAX) fail(`id ${q.id} is beyond what an IPC id can be`);
  if (q.mode & ~0o777) fail(`mode 0o${q.mode.toString(8)} has bits beyond the permission bits`);
  let bytes = 0n;
  q.messages.forEach((m, n) => {
    if (m.type <= 0n) fail(`messages[${n}] has type ${m.type}: a message's type is positive`);
    bytes += BigInt(m.text.length);
  });
  // The kernel would refuse the last messages at restore: the queue could not have held them.
  if (bytes > q.qbytes) fail(`messages hold ${bytes} bytes, more than the queue's qbytes ${q.qbytes}`);
}
