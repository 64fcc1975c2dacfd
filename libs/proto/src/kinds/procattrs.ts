import type { ProcAttrs } from '../generated/messages.js';
import { checkAbsolutePath, checkPid, checkUnique, fail } from './checks.js';

/** RLIM_NLIMITS: resources are 0..15. */
const RLIMIT_COUNT = 16;

export function validateProcAttrs(p: ProcAttrs): void {
  checkPid(p.pid, 'pid');
  if (p.umask > 0o777) fail(`umask 0o${p.umask.toString(8)} has bits beyond 0o777`);
  p.rlimits.forEach((r, i) => {
    if (r.resource >= RLIMIT_COUNT) fail(`rlimits[${i}].resource ${r.resource} is not a resource (0..${RLIMIT_COUNT - 1})`);
    // setrlimit refuses a soft limit above the hard one.
    if (r.cur > r.max) fail(`rlimits[${i}]: cur ${r.cur} is above max ${r.max}`);
  });
  checkUnique(p.rlimits.map((r) => r.resource), 'rlimits (resource)');
  checkAbsolutePath(p.cwd, 'cwd');
  checkAbsolutePath(p.root, 'root');
}
