import fs from 'node:fs';
import type { Creds } from '@ferry/proto';
import { SYS } from '@ferry/sys';
import type { RestoringThread } from '../restoring-task.js';
import type { ObjectKind } from '../object-kind.js';
import { onePerTask, planned } from '../kind-records.js';

const PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_NO_NEW_PRIVS = 38, PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2;
const SYS_setgroups = 116, SYS_setresuid = 117, SYS_setresgid = 119, SYS_setfsuid = 122, SYS_setfsgid = 123, SYS_capset = 126;
const CAP_VERSION_3 = 0x20080522;

function current(pid: number, tid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

function sameAsNow(c: Creds, now: Map<string, string>): boolean {
  const caps = (k: string) => BigInt('0x' + (now.get(k) ?? '0'));
  return now.get('Uid') === c.uids.join('\t') && now.get('Gid') === c.gids.join('\t')
    && (now.get('Groups') ?? '').trim() === c.groups.join(' ')
    && caps('CapInh') === c.capInh && caps('CapPrm') === c.capPrm && caps('CapEff') === c.capEff
    && caps('CapBnd') === c.capBnd && caps('CapAmb') === c.capAmb && (now.get('NoNewPrivs') === '1') === c.noNewPrivs;
}

/**
 * Credentials are per thread for the kernel: every thread sets its own, in the order that keeps
 * the privilege each step needs until it is taken (bounding set while still privileged, ids with
 * capabilities kept, then the capability sets themselves).
 */
function restoreCreds(pid: number, thread: RestoringThread, c: Creds): void {
  const now = current(pid, thread.tid);
  if (sameAsNow(c, now)) return;
  const inj = thread.injector;
  const bnd = BigInt('0x' + (now.get('CapBnd') ?? '0'));
  for (let cap = 0n; cap < 64n; cap++) {
    if ((bnd >> cap) & 1n && !((c.capBnd >> cap) & 1n)) inj.call(`drop capability ${cap} from the bounding set`, SYS.prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  inj.call('prctl(PR_SET_KEEPCAPS)', SYS.prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0);
  inj.resetScratch();
  const groups = Buffer.alloc(Math.max(4, c.groups.length * 4));
  c.groups.forEach((g, i) => groups.writeUInt32LE(g, i * 4));
  inj.call('setgroups', SYS_setgroups, c.groups.length, inj.put(groups));
  inj.call('setresgid', SYS_setresgid, c.gids[0]!, c.gids[1]!, c.gids[2]!);
  inj.call('setresuid', SYS_setresuid, c.uids[0]!, c.uids[1]!, c.uids[2]!);
  inj.raw(SYS_setfsgid, c.gids[3]!);
  inj.raw(SYS_setfsuid, c.uids[3]!);
  const header = Buffer.alloc(8);
  header.writeUInt32LE(CAP_VERSION_3, 0);
  const data = Buffer.alloc(24);
  const lo = (v: bigint) => Number(v & 0xffffffffn), hi = (v: bigint) => Number(v >> 32n);
  [lo(c.capEff), lo(c.capPrm), lo(c.capInh), hi(c.capEff), hi(c.capPrm), hi(c.capInh)].forEach((v, i) => data.writeUInt32LE(v, i * 4));
  inj.resetScratch();
  inj.call('capset', SYS_capset, inj.put(header), inj.put(data));
  for (let cap = 0n; cap < 64n; cap++) {
    if ((c.capAmb >> cap) & 1n) inj.call(`raise ambient capability ${cap}`, SYS.prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  inj.call('prctl(PR_SET_KEEPCAPS)', SYS.prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (c.noNewPrivs) inj.call('prctl(PR_SET_NO_NEW_PRIVS)', SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/** Last of all (RESTORE_CREDS): every step before may need the privilege they take away. */
export const credsKind: ObjectKind = {
  name: 'creds',
  check(image, tree) {
    const creds = onePerTask(image.byKind('creds'), tree, 'creds');
    return { perThread: { RESTORE_CREDS: ({ task, core }) => restoreCreds(task.pid, task.thread(core.tid), planned(creds, task.pid)) } };
  },
};
