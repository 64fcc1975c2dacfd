import type { ProcAttrs } from '@ferry/proto';
import { SYS, readRlimits, runEach, type BatchCall } from '@ferry/sys';
import type { RestoringTask } from '../restoring-task.js';
import type { Log } from '../log.js';
import type { ObjectKind } from '../object-kind.js';
import { onePerTask, planned } from '../kind-records.js';

const PR_SET_NAME = 15;
const RLIMIT_NAMES = ['cpu', 'fsize', 'data', 'stack', 'core', 'rss', 'nproc', 'nofile', 'memlock', 'as', 'locks', 'sigpending', 'msgqueue', 'nice', 'rtprio', 'rttime'];

/** cwd, root, umask, personality, comm and rlimits. */
function restoreProcAttrs(task: RestoringTask, attrs: ProcAttrs, log: Log): void {
  const text = (s: string) => ({ data: Buffer.from(s + '\0') });
  const calls: BatchCall[] = [];
  if (attrs.root !== '/') calls.push({ name: `chroot to ${attrs.root}`, nr: SYS.chroot, args: [text(attrs.root)] });
  calls.push(
    { name: `chdir to ${attrs.cwd}`, nr: SYS.chdir, args: [text(attrs.cwd)] },
    { name: 'umask', nr: SYS.umask, args: [attrs.umask] },
    { name: 'personality', nr: SYS.personality, args: [attrs.personality] },
    { name: 'prctl(PR_SET_NAME)', nr: SYS.prctl, args: [PR_SET_NAME, text(attrs.comm.slice(0, 15)), 0, 0, 0] },
  );
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
    calls.push({ name: `prlimit(${RLIMIT_NAMES[r.resource]})`, nr: SYS.prlimit64, args: [0, r.resource, { data: limit }, 0] });
  }
  runEach(task.injector, calls);
}

export const procAttrsKind: ObjectKind = {
  name: 'procattrs',
  check(image, tree) {
    const attrs = onePerTask(image.byKind('procattrs'), tree, 'procattrs');
    return { perTask: { RESTORE: ({ task, log }) => restoreProcAttrs(task, planned(attrs, task.pid), log) } };
  },
};
