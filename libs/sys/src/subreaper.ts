import fs from 'node:fs';
import { checkedSyscall } from './fcntl.js';
import { SYS } from './syscalls.js';
import { waitFor, WALL, WNOHANG } from './wait.js';

const PR_SET_CHILD_SUBREAPER = 36;

/** While on, orphans of our descendants become our children instead of init's, so we can reap them. */
export function setChildSubreaper(on: boolean): void {
  checkedSyscall('prctl(PR_SET_CHILD_SUBREAPER)', SYS.prctl, PR_SET_CHILD_SUBREAPER, on ? 1 : 0);
}

/** Reaps every dead child we have now (orphans handed to us as subreaper included). */
export function reapDeadChildren(): number[] {
  const reaped: number[] = [];
  for (;;) {
    let w;
    try {
      w = waitFor(-1, WALL | WNOHANG);
    } catch {
      return reaped; // ECHILD: no children at all
    }
    if (w.kind === 'none') return reaped;
    if (w.kind === 'exited' || w.kind === 'signaled') reaped.push(w.pid);
  }
}

/**
 * Reaps our dead children except SPARED ones (those node spawned: it reaps them itself, and would
 * never hear of their end if we took it first).
 */
export function reapDeadChildrenExcept(spared: ReadonlySet<number>): number[] {
  const reaped: number[] = [];
  for (const pid of childrenOfSelf()) {
    if (spared.has(pid)) continue;
    try {
      const w = waitFor(pid, WALL | WNOHANG);
      if (w.kind === 'exited' || w.kind === 'signaled') reaped.push(pid);
    } catch {
      // reaped meanwhile
    }
  }
  return reaped;
}

function childrenOfSelf(): number[] {
  const out: number[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const text = fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // thread ended
    }
  }
  return out;
}
