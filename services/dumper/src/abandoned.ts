// What a dumper killed before its commit leaves on the tree, which runs on without it: the
// connections it took sit in repair mode (they neither send nor answer) under the checkpoint's
// network lock, so their peers would wait for ever. Whoever started the dumper gives them back.
import fs from 'node:fs';
import { copyFdOf, inTcpRepair, listFds, readStat, readStatus, setTcpRepair, unlockConnections } from '@ferry/sys';
import { runningTree } from './tree.js';

const PF_EXITING = 0x4;
const SIGKILL_BIT = 1n << 8n;

/**
 * Whether PID runs on: not exiting and not about to. A dumper that dies after its commit takes
 * its frozen tree with it (PTRACE_O_EXITKILL), and that tree's connections belong to its copy on
 * the target, whose peers the lock keeps from being reset here.
 */
function runsOn(pid: number): boolean {
  try {
    const stat = readStat(pid);
    if (stat.state === 'Z' || stat.state === 'X' || stat.flags & PF_EXITING) return false;
    const status = readStatus(pid);
    return ((BigInt(`0x${status.get('SigPnd') ?? '0'}`) | BigInt(`0x${status.get('ShdPnd') ?? '0'}`)) & SIGKILL_BIT) === 0n;
  } catch {
    return false;
  }
}

/** Takes the TCP sockets of PID out of repair mode; how many were in it. */
function leaveRepair(pid: number): number {
  let left = 0;
  let fds: number[];
  try {
    fds = listFds(pid);
  } catch {
    return 0;
  }
  for (const fd of fds) {
    let copy: number;
    try {
      if (!fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) continue;
      copy = copyFdOf(pid, fd);
    } catch {
      continue;
    }
    try {
      if (inTcpRepair(copy)) {
        setTcpRepair(copy, false);
        left++;
      }
    } catch {
      // not a TCP socket
    } finally {
      fs.closeSync(copy);
    }
  }
  return left;
}

/**
 * If the tree at ROOT runs on here, takes its connections out of repair mode and lifts LOCK (the
 * dumper's checkpoint id); how many connections were in repair mode, or null (and nothing done)
 * when the tree is gone or dying.
 */
export function releaseAbandonedConnections(root: number, lock: string): number | null {
  if (!runsOn(root)) return null;
  const left = runningTree(root).reduce((n, pid) => n + leaveRepair(pid), 0);
  unlockConnections(lock);
  return left;
}
