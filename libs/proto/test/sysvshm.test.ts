// Damaged System V shared memory records (and attaches of them) are refused, naming the field,
// before a restore makes anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PayloadError, validatePayload, VmaKind, type SysvShm } from '../src/index.js';
import { SAMPLES } from './fixtures.js';
import { assertImageRefuses } from './damaged-record.js';

const refuses = (over: Partial<SysvShm>, pattern: RegExp) =>
  assert.throws(() => validatePayload('sysvshm', { ...SAMPLES.sysvshm, ...over }), (e: Error) => e instanceof PayloadError && pattern.test(e.message), String(pattern));

it('takes keyed, private and removed segments', () => {
  validatePayload('sysvshm', SAMPLES.sysvshm);
  validatePayload('sysvshm', { ...SAMPLES.sysvshm, key: 0, id: 0, size: 1n, mode: 0 });
  validatePayload('sysvshm', { ...SAMPLES.sysvshm, key: 0, removed: true });
});

it('refuses damaged sysvshm records, naming the field', () => {
  refuses({ id: 0x80000000 }, /^id 2147483648 is beyond what an IPC id can be$/);
  refuses({ size: 0n }, /^size is 0: a segment has at least one byte$/);
  refuses({ size: 1n << 48n }, /^size 281474976710656 is larger than an address space$/);
  refuses({ mode: 0o1777 }, /^mode 0o1777 has bits beyond the permission bits$/);
  refuses({ key: 0x1234, removed: true }, /^key 0x1234 on a removed segment, whose key the kernel makes IPC_PRIVATE$/);
});

it('refuses an attach whose segment id cannot be one', () => {
  assert.throws(() => validatePayload('vma', { ...SAMPLES.vma, kind: VmaKind.SYSV_SHM, shmid: 1n << 31n }), (e: Error) => e instanceof PayloadError && e.message === 'shmid 2147483648 is beyond what an IPC id can be');
});

it('refuses an image whose sysvshm record is damaged, naming the record', async () => {
  await assertImageRefuses('sysvshm', 'sysvshm:5', { ...SAMPLES.sysvshm, size: 0n }, 'size is 0: a segment has at least one byte');
});
