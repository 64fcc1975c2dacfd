// Damaged inotify records are refused, naming the watch and field, before a restore makes anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PayloadError, validatePayload, type InotifyWatch } from '../src/index.js';
import { SAMPLES } from './fixtures.js';
import { assertImageRefuses } from './damaged-record.js';

const sample = SAMPLES.inotify.watches[0]!;
const refusesWatch = (over: Partial<InotifyWatch>, pattern: RegExp) =>
  assert.throws(() => validatePayload('inotify', { ...SAMPLES.inotify, watches: [{ ...sample, ...over }] }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));

it('refuses damaged inotify records, naming the watch and field', () => {
  validatePayload('inotify', { ...SAMPLES.inotify, flags: 0, watches: [] });
  assert.throws(() => validatePayload('inotify', { ...SAMPLES.inotify, flags: 0o2 }), /flags 0o2 are not inotify flags/);
  assert.throws(() => validatePayload('inotify', { ...SAMPLES.inotify, watches: [sample, sample] }), /watches lists 1 twice/);
  refusesWatch({ wd: 0 }, /^watches\[0\] \(wd 0\): wd is not a watch descriptor$/);
  refusesWatch({ wd: -5 }, /wd is not a watch descriptor$/);
  refusesWatch({ path: 'tmp/x' }, /^watches\[0\] \(wd 1\): path "tmp\/x" is not an absolute path$/);
  refusesWatch({ path: '' }, /path "" is not an absolute path$/);
  refusesWatch({ mask: 0x80000000 }, /mask 0x80000000 watches no event$/);
  refusesWatch({ mask: 0x1000001 }, /mask 0x1000001 has bits that are no IN_\* watch flags$/);
});

it('refuses an image whose inotify record is damaged, naming the record', async () => {
  await assertImageRefuses('inotify', 'file:100:13', { ...SAMPLES.inotify, watches: [{ ...sample, path: 'relative' }] }, 'watches[0] (wd 1): path "relative" is not an absolute path');
});
