import type { ITimers } from '../generated/messages.js';
import { checkPid, fail } from './checks.js';

/** The interval timers by setitimer's `which`, with their signals. */
export const ITIMERS = [
  { which: 0, name: 'real', signal: 'SIGALRM' },
  { which: 1, name: 'virtual', signal: 'SIGVTALRM' },
  { which: 2, name: 'prof', signal: 'SIGPROF' },
] as const;

export type ITimerName = (typeof ITIMERS)[number]['name'];

/** Microseconds in seconds and microseconds, as setitimer takes them. */
const MAX_NS = 0x7fffffffffffffffn / 1000n * 1000n;

export function validateITimers(t: ITimers): void {
  checkPid(t.pid, 'pid');
  for (const { name } of ITIMERS) {
    for (const field of [`${name}ValueNs`, `${name}IntervalNs`] as const) {
      const ns = t[field];
      if (ns > MAX_NS) fail(`${field} ${ns} does not fit a timeval`);
      if (ns % 1000n !== 0n) fail(`${field} ${ns} is not a whole number of microseconds`);
    }
  }
}
