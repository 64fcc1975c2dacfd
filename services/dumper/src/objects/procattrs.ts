import fs from 'node:fs';
import type { ProcAttrs } from '@ferry/proto';
import { readRlimits, readStatus } from '@ferry/sys';
import type { TaskCollector } from '../collector.js';

function collectProcAttrs(pid: number): ProcAttrs {
  const status = readStatus(pid);
  return {
    pid,
    comm: fs.readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, ''),
    personality: parseInt(fs.readFileSync(`/proc/${pid}/personality`, 'utf8'), 16),
    umask: parseInt(status.get('Umask') ?? '22', 8),
    rlimits: readRlimits(pid),
    cwd: fs.readlinkSync(`/proc/${pid}/cwd`),
    root: fs.readlinkSync(`/proc/${pid}/root`),
  };
}

export const procAttrsCollector: TaskCollector = {
  name: 'attributes',
  async collect(task, _dump, sink) {
    await sink.put('procattrs', `procattrs:${task.pid}`, collectProcAttrs(task.pid));
  },
};
