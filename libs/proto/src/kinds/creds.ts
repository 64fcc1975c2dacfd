import type { Creds } from '../generated/messages.js';
import { checkPid, fail } from './checks.js';

const NGROUPS_MAX = 65536;

export function validateCreds(c: Creds): void {
  checkPid(c.pid, 'pid');
  if (c.uids.length !== 4) fail(`uids has ${c.uids.length} entries, expected 4`);
  if (c.gids.length !== 4) fail(`gids has ${c.gids.length} entries, expected 4`);
  if (c.groups.length > NGROUPS_MAX) fail(`groups has ${c.groups.length} entries`);
  for (const id of [...c.uids, ...c.gids, ...c.groups]) if (id === 0xffffffff) fail('an id of -1 is not an id');
  if ((c.capEff & ~c.capPrm) !== 0n) fail('effective capabilities exceed the permitted ones');
}
