// --inherit-fd against images made in memory: the names the kinds give their files are what keys match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchInheritFds } from '../src/inherit-fd.js';
import { memoryImage } from './memory-image.js';
import { sampleTree, fd, DEV_NULL, PIPE_READ, PIPE_WRITE, PIPE_INODE } from './samples.js';

test('a key names every file object that had its name: both ends of a pipe, by PID:FD or by pipe:[INODE]', () => {
  const image = memoryImage(sampleTree());
  assert.deepEqual(matchInheritFds(image, [{ fd: 20, key: '100:3' }]), new Map([[PIPE_READ, 20], [PIPE_WRITE, 20]]));
  assert.deepEqual(matchInheritFds(image, [{ fd: 21, key: `pipe:[${PIPE_INODE}]` }]), new Map([[PIPE_READ, 21], [PIPE_WRITE, 21]]));
  assert.deepEqual(matchInheritFds(image, [{ fd: 22, key: '/dev/null' }]), new Map([[DEV_NULL, 22]]));
});

test('keys that name nothing, or an object handed over twice, or an object left out that nobody hands over, are refused', () => {
  const image = memoryImage(sampleTree());
  assert.throws(() => matchInheritFds(image, [{ fd: 20, key: '/etc/nothing' }]), /^Error: --inherit-fd fd\[20\]:\/etc\/nothing: nothing in the checkpoint was \/etc\/nothing$/);
  assert.throws(() => matchInheritFds(image, [{ fd: 20, key: '100:4' }]), /^Error: --inherit-fd fd\[20\]:100:4: pid 100 had no fd 4 that can be handed over in the checkpoint$/);
  assert.throws(() => matchInheritFds(image, [{ fd: 20, key: '100:3' }, { fd: 21, key: '200:3' }]), /already handed over as fd 20$/);
  const leftOut = memoryImage([...sampleTree(), { kind: 'external', payload: { id: 'file:outside', name: 'pipe:[77]', flags: 0, queued: Buffer.alloc(0) } }, fd(200, 9, 'file:outside')]);
  assert.throws(() => matchInheritFds(leftOut, []), /^Error: pipe:\[77\] \(fd 9 of pid 200\) was left out of the checkpoint: restore with --inherit-fd fd\[N\]:pipe:\[77\]$/);
  assert.deepEqual(matchInheritFds(leftOut, [{ fd: 30, key: 'pipe:[77]' }]), new Map([['file:outside', 30]]));
});
