import type { Signals } from '../generated/messages.js';
import { SIGINFO_BYTES } from '../limits.js';
import { checkEach, checkPid, checkUnique, fail } from './checks.js';

const SIGKILL = 9;
const SIGSTOP = 19;
const LAST_SIGNAL = 64;

export function validateSignals(s: Signals): void {
  checkPid(s.pid, 'pid');
  s.actions.forEach((a, i) => {
    if (a.signo < 1 || a.signo > LAST_SIGNAL) fail(`actions[${i}].signo ${a.signo} is not a signal (1..${LAST_SIGNAL})`);
    // rt_sigaction refuses these two, so a restore could never apply the record.
    if (a.signo === SIGKILL || a.signo === SIGSTOP) fail(`actions[${i}]: signal ${a.signo} cannot have a handler`);
  });
  checkUnique(s.actions.map((a) => a.signo), 'actions (signo)');
  checkEach(s.sharedPending, 'sharedPending', SIGINFO_BYTES);
}
