import type { ProcAttrs } from '@ferry/proto';
import { SYS, readRlimits } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { Log } from '../log.js';
import type { ObjectKind } from '../object-kind.js';
import { onePerTask, planned } from '../kind-records.js';

const PR_SET_NAME = 15;
const RLIMIT_NAMES = ['cpu', 'fsize', 'data', 'stack', 'core', 'rss', 'nproc', 'nofile', 'memlock', 'as', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio', 'rttime'];

/** cwd, root, umask, personality, comm and rlimits. */
function restoreProcAttrs(task: RestoringTask, attrs: ProcAttrs, log: Log): void {
  const inj = task.injector;
  inj.resetScratch();
  if (attrs.root !== '/') inj.call(`chroot to ${attrs.root}`, SYS.chroot, inj.putString(attrs.root));
  inj.resetScratch();
  inj.call(`chdir to ${attrs.cwd}`, SYS.chdir, inj.putString(attrs.cwd));
  inj.call('umask', SYS.umask, attrs.umask);
  inj.call('personality', SYS.personality, attrs.personality);
  inj.resetScratch();
  inj.call('prctl(PR_SET_NAME)', SYS.prctl, PR_SET_NAME, inj.putString(attrs.comm.slice(0, 15)), 0, 0, 0);
  const current = readRlimits(task.pid);
  for (const r of attrs.rlimits) {
    // Raising a hard limit needs CAP_SYS_RESOURCE, which ferry may lack: keep what can be had.
    const now = current[r.resource]!;
    if (now.cur === r.cur && now.max === r.max) continue; // as the stub already has it: no call
    const max = r.max > now.max ? now.max : r.max;
    const cur = r.cur > max ? max : r.cur;
    if (max !== r.max || cur !== r.cur) log.info(`rlimit ${RLIMIT_NAMES[r.resource] ?? r.resource} of pid ${task.pid} kept at ${cur}/${max}, below the image's ${r.cur}/${r.max}`);
    const limit = Buffer.alloc(16);
    limit.writeBigUInt64LE(cur, 0);
    limit.writeBigUInt64LE(max, 8);
    inj.resetScratch();
    inj.call(`prlimit(${RLIMIT_NAMES[r.resource]})`, SYS.prlimit64, 0, r.resource, inj.put(limit), 0);
  }
}

export const procAttrsKind: ObjectKind = {
  name: 'procattrs',
  check(image, tree) {
    const attrs = onePerTask(image.byKind('procattrs'), tree, 'procattrs');
    return { perTask: { RESTORE: ({ task, log }) => restoreProcAttrs(task, planned(attrs, task.pid), log) } };
  },
};
