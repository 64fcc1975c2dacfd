// ferry show: tables for people, JSON for tools, both describing the task, its memory and files.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, TestBed, bedTest, dump, ferry, ferryOk, assertFailedWith } from '@ferry/testbed';

// One image of file-writer, with a file open for writing at 1000, a dup (close-on-exec) and a
// reader at 100.
const fixture = new TestBed();
const img = fixture.scratch.path('img');
const data = fixture.scratch.path('data');
let pid: number;
let exe: string;

before(async () => {
  exe = workload('file-writer');
  pid = fixture.start([exe, data]);
  await fixture.output.next(/^ready/);
  await dump(pid, img);
});
after(async () => {
  await fixture.close();
  removeBuiltWorkloads();
});

/** The rows of the table whose header line starts with HEADER, split on runs of spaces. */
function table(text: string, header: RegExp): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.ok(start >= 0, `a table headed ${header}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.trim().split(/\s+/));
}

bedTest('show prints the checkpoint, the process, its memory and its files as tables', async () => {
  const { stdout } = await ferryOk(['show', img]);
  assert.match(stdout, /^checkpoint [0-9a-f-]{36} {2}made on \S+ \(.+\) at \d{4}-\d\d-\d\dT/);
  assert.deepEqual(table(stdout, /^PID\s+PPID\s+PGID\s+SID\s+THREADS\s+COMM\s+EXE/), [[String(pid), '1', String(pid), String(pid), '1', 'file-writer', exe]]);
  const memory = table(stdout, /^START\s+END\s+PROT\s+KIND\s+PAGES\s+PATH/);
  assert.ok(memory.some((r) => r[5] === exe && r[2] === 'r-x'), 'the program text');
  for (const name of ['[heap]', '[stack]', '[vdso]']) assert.ok(memory.some((r) => r[5] === name), name);
  const files = table(stdout, /^FD\s+CLOEXEC\s+TYPE\s+POS\s+PATH/);
  assert.deepEqual(files.filter((r) => r[4] === data), [['3', 'no', 'REGULAR', '1000', data], ['4', 'no', 'REGULAR', '100', data], ['10', 'yes', 'REGULAR', '1000', data]]);
});

bedTest('show --json lists the task with its vmas and fds', async () => {
  const shown = JSON.parse((await ferryOk(['show', img, '--json'])).stdout);
  assert.equal(shown.rootPid, pid);
  assert.equal(shown.tasks.length, 1);
  const [task] = shown.tasks;
  assert.deepEqual({ pid: task.pid, comm: task.comm, exe: task.exe, threads: task.threads }, { pid, comm: 'file-writer', exe, threads: [pid] });
  assert.ok(task.vmas.some((v: { path: string; kind: string }) => v.path === '[stack]' && v.kind === 'ANON_PRIVATE'));
  assert.ok(task.vmas.some((v: { path: string }) => v.path === exe));
  const fds = task.fds.filter((f: { path: string }) => f.path === data).map(({ fd, cloexec, pos, type }: Record<string, unknown>) => ({ fd, cloexec, pos, type }));
  assert.deepEqual(fds, [
    { fd: 3, cloexec: false, pos: 1000, type: 'REGULAR' },
    { fd: 4, cloexec: false, pos: 100, type: 'REGULAR' },
    { fd: 10, cloexec: true, pos: 1000, type: 'REGULAR' },
  ]);
  assert.equal(shown.pageBytes, fs.statSync(`${img}/pages.img`).size);
});

bedTest('show of a directory that holds no checkpoint says so', async (bed) => {
  assertFailedWith(await ferry(['show', bed.scratch.dir]), 'show', `records.log: missing from ${bed.scratch.dir}`);
});

bedTest('show names the kind of every other file, and a socket by its address', async (bed) => {
  const script = bed.scratch.path('sockets.py');
  fs.writeFileSync(script, [
    'import socket, sys, time',
    'a, b = socket.socketpair()',
    "l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); l.bind('\\0' + sys.argv[1]); l.listen(1)",
    "print('ready', flush=True)",
    'time.sleep(600)',
  ].join('\n'));
  const address = `ferry-show-${process.pid}`;
  const holder = bed.start(['python3', script, address]);
  await bed.output.next(/^ready/);
  const image = bed.scratch.path('sockets-img');
  await dump(holder, image);
  const files = table((await ferryOk(['show', image])).stdout, /^FD\s+CLOEXEC\s+TYPE\s+POS\s+PATH/);
  const sockets = files.filter((r) => r[2] === 'UNIX-SOCKET');
  assert.equal(sockets.length, 3, JSON.stringify(files));
  assert.deepEqual(sockets.map((r) => r[4] ?? ''), ['', '', `@ferry-show-${process.pid}`]);
});
