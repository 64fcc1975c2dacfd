import type { Creds } from '@ferry/proto';
import { readStatus } from '@ferry/sys';
import type { TaskCollector } from '../collector.js';

const ids = (field: string | undefined) => (field ?? '').split(/\s+/).filter(Boolean).map(Number);
const caps = (field: string | undefined) => BigInt('0x' + (field ?? '0'));

function collectCreds(pid: number): Creds {
  const s = readStatus(pid);
  return {
    pid,
    uids: ids(s.get('Uid')),
    gids: ids(s.get('Gid')),
    groups: ids(s.get('Groups')),
    capInh: caps(s.get('CapInh')),
    capPrm: caps(s.get('CapPrm')),
    capEff: caps(s.get('CapEff')),
    capBnd: caps(s.get('CapBnd')),
    capAmb: caps(s.get('CapAmb')),
    noNewPrivs: s.get('NoNewPrivs') === '1',
  };
}

export const credsCollector: TaskCollector = {
  name: 'credentials',
  async collect(task, _dump, sink) {
    await sink.put('creds', `creds:${task.pid}`, collectCreds(task.pid));
  },
};
