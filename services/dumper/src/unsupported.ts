import fs from 'node:fs';
import { readStatus } from '@ferry/sys';

const NAMESPACES = ['pid', 'mnt', 'net', 'ipc', 'uts', 'user', 'cgroup', 'time'];

/**
 * State ferry cannot carry yet and must not drop silently: the dump refuses, naming it, before
 * the process is touched.
 */
export function refuseUnsupportedState(pid: number): void {
  const status = readStatus(pid);
  if ((status.get('Seccomp') ?? '0') !== '0') throw new Error(`pid ${pid} runs under seccomp: not supported yet`);
  for (const ns of NAMESPACES) {
    let theirs: string, ours: string;
    try {
      theirs = fs.readlinkSync(`/proc/${pid}/ns/${ns}`);
      ours = fs.readlinkSync(`/proc/self/ns/${ns}`);
    } catch {
      continue; // namespace kind not built into this kernel
    }
    if (theirs !== ours) throw new Error(`pid ${pid} is in another ${ns} namespace: not supported yet`);
  }
}
