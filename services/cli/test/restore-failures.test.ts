// A restore that cannot be done says why in one line and leaves nothing behind: no process with
// the image's pid, and whatever else held that pid untouched.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, TestBed, bedTest, dump, restoreDetached, askCheck, ferry, assertFailedWith, copyImage, frameStarts, flipByte, recordsOf, pagesOf, launchWithPid, readStat, waitUntil, mapsOf, statusFields } from '@ferry/testbed';

// One image of `sleep 1000`, damaged in a different way by each test.
const fixture = new TestBed();
let sleeper: number;
const good = fixture.scratch.path('good');

before(async () => {
  sleeper = fixture.start(['sleep', '1000']);
  await dump(sleeper, good);
});
after(async () => {
  await fixture.close();
  removeBuiltWorkloads();
});

async function assertRestoreFails(dir: string, cause: string | RegExp, pid = sleeper): Promise<void> {
  assertFailedWith(await ferry(['restore', '-D', dir, '-d']), 'restore', cause);
  assert.equal(fs.existsSync(`/proc/${pid}`), false, `no process with pid ${pid} is left`);
}

bedTest('a records.log cut in the middle of a frame, or before its commit, is refused', async (bed) => {
  const dir = copyImage(good, bed.scratch.path('img'));
  const log = fs.readFileSync(recordsOf(dir));
  const starts = frameStarts(log);
  fs.writeFileSync(recordsOf(dir), log.subarray(0, starts[7]! + 10));
  await assertRestoreFails(dir, `records.log: truncated frame at byte ${starts[7]}`);
  fs.writeFileSync(recordsOf(dir), log.subarray(0, starts.at(-1)));
  await assertRestoreFails(dir, 'records.log: no commit record: the checkpoint is incomplete');
});

bedTest('a records.log with a flipped byte is refused, naming the record', async (bed) => {
  const dir = copyImage(good, bed.scratch.path('img'));
  const starts = frameStarts(fs.readFileSync(recordsOf(dir)));
  flipByte(recordsOf(dir), Math.floor((starts[10]! + starts[11]!) / 2));
  await assertRestoreFails(dir, /records\.log: record 10 \(.*\): chain hash mismatch/);
});

bedTest('a pages.img with a flipped byte, or cut short, is refused', async (bed) => {
  const dir = copyImage(good, bed.scratch.path('img'));
  const size = fs.statSync(pagesOf(dir)).size;
  flipByte(pagesOf(dir), size - 100);
  await assertRestoreFails(dir, new RegExp(`pages\\.img: crc mismatch in pages record \\d+ \\(pid ${sleeper} at 0x[0-9a-f]+\\)`));
  fs.truncateSync(pagesOf(dir), size - 4096);
  await assertRestoreFails(dir, /pages\.img: record \d+ points past the end of the page store/);
});

bedTest('a restore whose pid is taken fails and leaves the process holding it untouched', async (bed) => {
  const holder = bed.adopt(launchWithPid(sleeper));
  await waitUntil('the holder to sleep', () => readStat(holder)?.comm === 'sleep' && readStat(holder)?.state === 'S');
  const seen = () => ({ stat: readStat(holder), maps: mapsOf(holder), status: statusFields(holder, ['State', 'TracerPid', 'SigBlk', 'SigPnd']) });
  const before = seen();
  assertFailedWith(await ferry(['restore', '-D', good, '-d']), 'restore', `pid ${sleeper} is already in use (by sleep): cannot restore the task that had it`);
  assert.deepEqual(seen(), before);
});

bedTest('a file the process had open that changed size or was deleted makes the restore fail; put back, it restores', async (bed) => {
  const data = bed.scratch.path('data');
  const pid = bed.start([workload('file-writer'), data]);
  await bed.output.next(/^ready/);
  const img = bed.scratch.path('img');
  await dump(pid, img);
  const original = fs.readFileSync(data);

  fs.appendFileSync(data, 'more');
  await assertRestoreFails(img, `file ${data} changed size since the dump (was 1000 bytes, now 1004): it was open to be read or written in place, so put it back as it was, or hand another file over with --inherit-fd fd[N]:${data}`, pid);
  fs.rmSync(data);
  await assertRestoreFails(img, new RegExp(`file ${data} is gone \\(it was open as file:${pid}:\\d+\\)`), pid);

  fs.writeFileSync(data, original);
  await restoreDetached(img);
  assert.equal(await askCheck(pid, bed.output), 'check ok');
});
