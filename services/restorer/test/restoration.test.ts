// The participants of each stage of a Restoration, as the -v logs and the distributed barrier's
// jobs name them, read before any of their work runs: no process is made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRestore } from '../src/plan.js';
import { Restoration } from '../src/restoration.js';
import { silentLog } from '../src/log.js';
import { memoryImage } from './memory-image.js';
import { sampleTree, task, core, perProcess } from './samples.js';

function restorationOf(image: ReturnType<typeof memoryImage>, more: Partial<ConstructorParameters<typeof Restoration>[2]> = {}) {
  return new Restoration(image, planRestore(image), { log: silentLog, inherited: new Map(), shellJob: false, foreground: false, consumePages: false, ...more });
}

const names = (participants: { name: string }[]) => participants.map((p) => p.name);

test('every stage names its participants in the order they run: openers, tasks parents first, threads leader last', () => {
  const restoration = restorationOf(memoryImage(sampleTree()));
  try {
    assert.deepEqual(names(restoration.namespaces()), []);
    assert.deepEqual(names(restoration.sharedObjects()),
      ['stub', 'inherited files', 'dead-pid /proc files', 'regular files', 'ghost files', 'pipe files', 'eventfd files', 'timerfd files', 'signalfd files', 'inotify files', 'memfd files', 'sysvshm files', 'sysvsem files', 'sysvmsg files', 'inet-socket files', 'epoll files', 'tty files']);
    assert.deepEqual(names(restoration.forking()), ['task 100', 'task 200', 'zombie 300']);
    assert.deepEqual(names(restoration.tasks()), ['task 100', 'thread 102', 'thread 101', 'thread 100', 'task 200', 'thread 200']);
    assert.deepEqual(names(restoration.sigchld()), ['thread 102', 'thread 101', 'thread 100', 'thread 200']);
    assert.deepEqual(names(restoration.creds()), ['thread 102', 'thread 101', 'thread 100', 'thread 200', 'page digests']);
    assert.deepEqual(names(restoration.release()), ['helpers', 'thread 102', 'thread 101', 'thread 100', 'thread 200', 'stub']);
  } finally {
    restoration.close();
  }
});

test('a dead session leader gets its helper forked before its first member and dismissed in RESTORE_SIGCHLD', () => {
  // 500 and 501 are in session 400, whose leader died; their parent 100 forks the helper.
  const members = [500, 501].flatMap((pid) => [task(pid, 100, { sid: 400, pgid: 400 }), core(pid, pid), ...perProcess(pid)]);
  const restoration = restorationOf(memoryImage([...sampleTree(), ...members]), { foreground: true, beforeRelease: async () => {} });
  try {
    assert.deepEqual(names(restoration.forking()), ['task 100', 'task 200', 'zombie 300', 'helper 400', 'task 500', 'task 501']);
    assert.deepEqual(names(restoration.sigchld()).slice(0, 1), ['helper 400']);
    assert.deepEqual(names(restoration.release()).slice(0, 2), ['take-over decision', 'terminal foreground']);
  } finally {
    restoration.close();
  }
});
