import type { Core } from '../generated/messages.js';
import { REGS_BYTES, SIGINFO_BYTES, XSTATE_MAX_BYTES, XSTATE_MIN_BYTES } from '../limits.js';
import { checkEach, checkLength, checkPid, checkUserAddress, fail } from './checks.js';

/** ORIG_RSEQ_SIZE: the kernel refuses a smaller registration. */
const RSEQ_MIN_BYTES = 32;

export function validateCore(c: Core): void {
  checkPid(c.pid, 'pid');
  checkPid(c.tid, 'tid');
  checkLength(c.regs, 'regs', REGS_BYTES, REGS_BYTES);
  checkLength(c.xstate, 'xstate', XSTATE_MIN_BYTES, XSTATE_MAX_BYTES);
  checkEach(c.pending, 'pending', SIGINFO_BYTES);
  checkUserAddress(c.clearChildTid, 'clearChildTid');
  checkUserAddress(c.robustList, 'robustList');
  if (c.robustListLen > 4096n) fail(`robustListLen ${c.robustListLen} is absurd`);
  if (c.rseq.pointer !== 0n) {
    if (c.rseq.size < RSEQ_MIN_BYTES) fail(`rseq.size ${c.rseq.size} is below ${RSEQ_MIN_BYTES}`);
    checkUserAddress(c.rseq.pointer + BigInt(c.rseq.size), 'rseq end');
  }
}
