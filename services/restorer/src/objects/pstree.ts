import type { Task } from '@ferry/proto';
import { SYS, ptrace, waitFor, setReg } from '@ferry/sys';
import { RestoringTask } from '../restoring-task.js';
import { cloneWithPid } from '../fork.js';
import { killAndReap } from '../stub.js';
import type { LeaderHelper } from '../leaders.js';

const PR_SET_NAME = 15;

/** Right after its fork: a session leader starts its session, so the children it forks join it. */
export function leadSessionOrGroup(task: RestoringTask, t: Task): void {
  if (t.sid === t.pid) task.injector.call('setsid', SYS.setsid);
  else if (t.pgid === t.pid) task.injector.call('setpgid', SYS.setpgid, 0, 0);
}

/**
 * Once every task exists, members join their group. A group whose leader is not in the tree is
 * the group the root was in outside (plan.ts refuses other cases): the tasks stay in ferry's.
 */
export function joinGroup(task: RestoringTask, t: Task, inTree: (pid: number) => boolean): void {
  if (t.pgid !== t.pid && inTree(t.pgid)) task.injector.call(`setpgid to group ${t.pgid}`, SYS.setpgid, 0, t.pgid);
}

/**
 * A zombie is forked by its parent and ends at once with the status the parent has yet to
 * collect. Its SIGCHLD lands in the parent's pending signals, which RESTORE_SIGCHLD clears.
 */
export function makeZombie(parent: RestoringTask, t: Task): void {
  const pid = cloneWithPid(parent.injector, t.pid, 'child');
  const signal = t.exitStatus & 0x7f;
  const zombie = new RestoringTask(pid, parent.scratch);
  zombie.injector.resetScratch();
  zombie.injector.call('prctl PR_SET_NAME', SYS.prctl, PR_SET_NAME, zombie.injector.putString(t.zombieComm));
  // The stub may have inherited an ignored disposition (node ignores SIGPIPE).
  if (signal !== 0) zombie.injector.call('rt_sigaction', SYS.rt_sigaction, signal, zombie.injector.put(Buffer.alloc(32)), 0, 8);
  zombie.close();
  const regs = ptrace.getRegs(pid);
  setReg(regs, 'rip', parent.scratch.addr);
  setReg(regs, 'orig_rax', -1n);
  if (signal === 0) {
    setReg(regs, 'rax', SYS.exit_group);
    setReg(regs, 'rdi', (t.exitStatus >> 8) & 0xff);
  } else {
    setReg(regs, 'rax', SYS.getpid); // a harmless call; the signal is handed over on the way out
  }
  ptrace.setRegs(pid, regs);
  ptrace.setSigmask(pid, 0n);
  ptrace.resume(7, pid, 0);
  for (;;) {
    const w = waitFor(pid);
    if (w.kind === 'exited' || w.kind === 'signaled') return;
    if (w.kind !== 'stopped') throw new Error(`zombie ${pid} could not be made`);
    // Deliver the terminating signal at the first stop after the call; the stub's dispositions are default.
    ptrace.resume(7, pid, signal === 0 ? 0 : signal);
  }
}

const WALL = 0x40000000;

/** A stand-in for a dead session or group leader, forked by its parent and made leader at once. */
export function makeLeaderHelper(parent: RestoringTask, helper: LeaderHelper): RestoringTask {
  const task = new RestoringTask(cloneWithPid(parent.injector, helper.pid, 'child'), parent.scratch);
  if (helper.kind === 'session') task.injector.call(`setsid in helper ${helper.pid}`, SYS.setsid);
  else task.injector.call(`setpgid in helper ${helper.pid}`, SYS.setpgid, 0, 0);
  return task;
}

/** Once its members are in: the helper dies and its parent reaps it, as if it never was. */
export function dismissLeaderHelper(helper: RestoringTask, parent: RestoringTask): void {
  helper.close();
  killAndReap(helper.pid);
  parent.injector.call(`wait4 for helper ${helper.pid}`, SYS.wait4, helper.pid, 0, WALL, 0);
}
