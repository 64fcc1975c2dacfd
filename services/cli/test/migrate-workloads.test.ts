// ferry migrate --from a --to b with real workloads: after the move each one carries on on b
// (its own pid, mount and network namespaces) as its user would expect, with what it had in
// memory, in its pipes, in its terminal and open under /proc.
import { test, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, script, childrenOf, readStat, treeOf, threadsOf, waitForLine, waitUntil, sleep, Scratch, ferry, withCluster, startOnA, type Cluster, signalAndAwait, Terminal, mapsOf } from '@ferry/testbed';

after(removeBuiltWorkloads);

interface Moved {
  /** b's pid of the tree's root (the same number it had here). */
  pidThere: number;
  processes: number;
  pageBytes: number;
  downtimeMs: number;
  totalMs: number;
  checkpointId: string;
  pagesVia: string;
}

/** When PID started (field 22 of its stat), which tells it from a later process given its pid; undefined once it has ended. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Migrates the tree of ROOT to b, waits until it no longer runs here and takes its pids out of
 * c.started; returns the report. On failure the message carries both agents' output.
 */
async function migrateToB(t: TestContext, c: Cluster, root: number, extra: string[] = []): Promise<Moved> {
  const pids = treeOf(root);
  const started = pids.map(startTime);
  const r = await ferry(['migrate', '--pid', String(root), '--from', 'a', '--to', 'b', '--json', ...extra], { env: c.env });
  assert.equal(r.status, 0, `ferry migrate: ${r.stderr}\n--- agent a:\n${c.agentA.output}\n--- agent b:\n${c.agentB.output}`);
  const moved = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(moved.event, 'migrated');
  assert.equal(moved.pidThere, root);
  assert.equal(moved.processes, pids.length);
  // Killed here; init reaps it in its own time, and this small pid space may hand its pid on.
  await waitUntil('the tree to end here', () => pids.every((pid, i) => startTime(pid) !== started[i]));
  // Gone from here: what runs on b goes with b.
  const stay = c.started.filter((pid) => !pids.includes(pid));
  c.started.splice(0, c.started.length, ...stay);
  t.diagnostic(`pid ${root}: ${moved.processes} processes, ${(moved.pageBytes / 1048576).toFixed(1)} MiB of pages, downtime ${moved.downtimeMs} ms, total ${moved.totalMs} ms`);
  return moved;
}

/** Our pid of the process b knows as INNER, which must exist. */
function onB(c: Cluster, inner: number): number {
  const outer = c.b.outerPid(inner);
  assert.ok(outer !== undefined, `pid ${inner} does not run on b`);
  return outer;
}

const linesOf = (file: string, prefix: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(prefix));

/** Sends SIGNAL to PID and resolves with the next line of FILE starting with PREFIX. */
async function report(file: string, pid: number, signal: NodeJS.Signals, prefix: string): Promise<string> {
  const earlier = linesOf(file, prefix).length;
  process.kill(pid, signal);
  await waitUntil(`a "${prefix}" line from pid ${pid}`, () => linesOf(file, prefix).length > earlier);
  return linesOf(file, prefix)[earlier]!;
}

test('a process with 256 MiB of private memory and 16 MiB shared with its child finds every byte on b', (t) => withCluster({}, async (c) => {
  const out = c.scratch.path('out');
  const root = startOnA(c, [workload('migrate-memory'), '256'], out);
  const ready = await waitForLine(out, /^ready/, 20_000);
  const child = Number(/child=(\d+)/.exec(ready)![1]);
  c.started.push(child);
  assert.equal(await report(out, root, 'SIGUSR1', 'check'), 'check ok', 'the check passes here');
  const maps = [mapsOf(root), mapsOf(child)];

  const moved = await migrateToB(t, c, root);
  assert.equal(moved.processes, 2);
  assert.ok(moved.pageBytes >= 272 << 20, `only ${moved.pageBytes} bytes of pages moved`);
  assert.deepEqual([mapsOf(onB(c, root)), mapsOf(onB(c, child))], maps, 'the same mappings on b');
  assert.equal(await report(out, onB(c, root), 'SIGUSR1', 'check'), 'check ok');
}));

test('a pipe with 200000 queued bytes and a shell pipeline keep flowing on b, every byte once and in order', (t) => withCluster({}, async (c) => {
  // A parent and its child joined by a pipe with a 256 KiB buffer, 200000 bytes queued in it.
  const pairOut = c.scratch.path('pair-out');
  const parent = startOnA(c, [workload('pipes'), '--size', '262144', '200000'], pairOut);
  const child = Number((await waitForLine(pairOut, /^ready child \d+$/)).split(' ')[2]);
  c.started.push(child);
  // sh -c 'producer | consumer', the producer always ahead.
  const pipelineOut = c.scratch.path('pipeline-out');
  const bin = workload('pipeline');
  const sh = startOnA(c, ['/bin/sh', '-c', `${bin} produce | ${bin} consume`], pipelineOut);
  const got = () => linesOf(pipelineOut, 'got ').map((l) => Number(l.slice(4)));
  await waitUntil('the pipeline to run', () => got().length >= 30);
  const shTree = treeOf(sh);
  assert.equal(shTree.length, 3, 'sh and both sides of the pipe');
  c.started.push(...shTree);

  await migrateToB(t, c, parent);
  const parentB = onB(c, parent);
  assert.equal(readStat(onB(c, child))!.ppid, parentB);
  assert.equal(await signalAndAwait(parentB, pairOut, /^drained /), 'drained 200000 ok total 200000 size 262144 nonblock 0 cloexec 0');
  assert.equal(await signalAndAwait(onB(c, child), pairOut, /^wrote /), 'wrote 201000');
  assert.equal(await signalAndAwait(parentB, pairOut, /^drained /), 'drained 1000 ok total 201000 size 262144 nonblock 0 cloexec 0');

  await migrateToB(t, c, sh);
  const atMove = got().at(-1)!;
  const shB = onB(c, sh);
  for (const pid of shTree.slice(1)) assert.equal(readStat(onB(c, pid))!.ppid, shB, 'both sides are still children of the shell');
  await waitUntil('the consumer to carry on on b', () => got().at(-1)! > atMove + 100);
  const seen = got();
  assert.deepEqual(seen, seen.map((_, i) => i + 1), 'every line once, in order');
  assert.doesNotMatch(fs.readFileSync(pipelineOut, 'utf8'), /gap/);
}));

/**
 * Gives host b a devpts of its own, as another machine has: a NamespaceHost shares ours, where
 * the pty index of the frozen source is taken until b has taken over.
 */
function ownPtys(c: Cluster): void {
  c.b.exec(['mount', '-t', 'devpts', '-o', 'newinstance,ptmxmode=0666,mode=620,gid=5', 'devpts', '/dev/pts']);
  c.b.exec(['mount', '--bind', '/dev/pts/ptmx', '/dev/ptmx']);
}

test('two terminal sessions move whole: a program keeps its terminal state and the bytes queued both ways, bash reads on b a line typed ahead during its job', (t) => withCluster({}, async (c) => {
  ownPtys(c);
  // Both run before either moves, so that each keeps a pty index of its own on b.
  const shellScratch = new Scratch();
  try {
    // tty-probe: keys it has not read yet, output the terminal has not shown yet.
    const reportFile = c.scratch.path('report');
    const term = new Terminal(c.scratch, [workload('tty-probe'), reportFile, 'cooked', 'queued output\n']);
    c.started.push(term.relay);
    const probe = await term.program();
    c.started.push(probe);
    await waitForLine(reportFile, /^ready/);
    const state = await report(reportFile, probe, 'SIGUSR1', 'state');
    term.type('typed ahead');
    await term.waitScreen('the echo', /typed ahead$/);
    term.togglePause();
    await sleep(50);
    await report(reportFile, probe, 'SIGALRM', 'wrote'); // written to the terminal, not yet shown

    // bash with a variable set runs a foreground job; a command typed meanwhile waits in the
    // terminal's input queue, for bash to read once the job ends.
    const shell = new Terminal(shellScratch, ['bash', '--norc', '--noprofile', '-i']);
    c.started.push(shell.relay);
    const bash = await shell.program();
    c.started.push(bash);
    await shell.waitScreen('the prompt', /# $/);
    shell.type('x=42\n');
    await shell.waitScreen('the next prompt', /x=42\r\n.*# $/s);
    shell.type('sleep 600\n');
    let job = 0;
    await waitUntil('the foreground job', () => (job = childrenOf(bash)[0] ?? 0) !== 0);
    c.started.push(job);
    shell.type('echo $((x+1))\n');
    await shell.waitScreen('the echo of the typed-ahead line', /sleep 600\r\n.*echo \$\(\(x\+1\)\)\r\n$/s);

    await migrateToB(t, c, term.relay);
    const probeB = onB(c, probe);
    assert.equal(await report(reportFile, probeB, 'SIGUSR1', 'state'), state);
    process.kill(onB(c, term.relay), 'SIGUSR1'); // the relay shows the screen again
    await term.waitScreen('the queued output', /queued output\r\n$/);
    assert.equal(term.screen().split('queued output').length, 2, 'the output arrived once');
    term.type('\n');
    assert.equal(await report(reportFile, probeB, 'SIGUSR2', 'read'), `read 12 ${Buffer.from('typed ahead\n').toString('hex')}`);

    const moved = await migrateToB(t, c, shell.relay);
    assert.equal(moved.processes, 3, 'the relay, bash and its job');
    process.kill(onB(c, job), 'SIGTERM');
    await shell.waitScreen('bash to answer on b', /Terminated\r\n.*[\r\n]43\r\n.*# $/s);
    assert.equal(shell.screen().split('43\r\n').length, 2, 'the line ran once');
  } finally {
    shellScratch.remove();
  }
}));

/** The mount id of the /proc that the process with our pid PID sees (the last one mounted there). */
function procMountId(pid: number): string {
  const line = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter((l) => l.split(' ')[4] === '/proc').at(-1);
  assert.ok(line, `no /proc in the mounts of ${pid}`);
  return line.split(' ')[0]!;
}

/** mnt_id of every descriptor of PID (our pid) open on a file under /proc/DEAD. */
function mountsOfFilesOf(pid: number, dead: number): string[] {
  return fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`/proc/${dead}`))
    .map((fd) => /^mnt_id:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))![1]!);
}

test("files of dead processes under /proc are reopened on b through a helper with the dead pid, which is gone afterwards", (t) => withCluster({}, async (c) => {
  const out = c.scratch.path('out');
  const pid = startOnA(c, [workload('procremap'), '2'], out);
  await waitForLine(out, /^ready/);
  const before = linesOf(out, 'before:').map((l) => l.slice('before:'.length));
  const dead = before.map((l) => Number(/pid (\d+)/.exec(l)![1]));
  assert.equal(dead.length, 2);
  assert.match(before[0]!, /status=-1\/No such process mountinfo=64 pos=10/);
  for (const d of dead) assert.deepEqual(mountsOfFilesOf(pid, d), Array(3).fill(procMountId(pid)));

  await migrateToB(t, c, pid);
  const there = onB(c, pid);
  const procOfB = procMountId(there);
  assert.notEqual(procOfB, procMountId(process.pid));
  for (const d of dead) {
    assert.equal(c.b.outerPid(d), undefined, `the helper with pid ${d} still runs on b`);
    assert.deepEqual(mountsOfFilesOf(there, d), Array(3).fill(procOfB), `the files of ${d} were opened through b's /proc`);
  }
  process.kill(there, 'SIGUSR1');
  await waitUntil('the workload to report on b', () => linesOf(out, 'after:').length === 2);
  assert.deepEqual(linesOf(out, 'after:').map((l) => l.slice('after:'.length)), before);
}));

/** The tids b knows the threads of PID (our pid) by. */
const innerTids = (pid: number) => threadsOf(pid).map((tid) => {
  const nspid = /^NSpid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))![1]!.split(/\s+/);
  return Number(nspid.at(-1));
}).sort((x, y) => x - y);

test('a node process with a worker thread keeps counting on b, with its thread ids', (t) => withCluster({}, async (c) => {
  const out = c.scratch.path('counts');
  const lastLine = () => (linesOf(out, '').filter((l) => l.length > 0).at(-1) ?? '').split(' ').map(Number);
  const pid = startOnA(c, [process.execPath, script('worker.mjs'), out], c.scratch.path('out'));
  await waitUntil('node to count', () => fs.existsSync(out) && (lastLine()[0] ?? 0) >= 5 && (lastLine()[1] ?? 0) > 0);
  const tids = threadsOf(pid);

  // Kept whole on the image server this time: restorable later, here or anywhere.
  const moved = await migrateToB(t, c, pid, ['--keep-checkpoint']);
  assert.equal(moved.pagesVia, 'through the image server');
  const stored = JSON.parse((await ferry(['checkpoints', '--json'], { env: c.env })).stdout) as { checkpointId: string; pagesHeldBy?: string; size: number; pageBytes: number }[];
  const kept = stored.find((s) => s.checkpointId === moved.checkpointId);
  assert.ok(kept && kept.pagesHeldBy === undefined && kept.size > kept.pageBytes, `the checkpoint on the image server: ${JSON.stringify(kept)}`);
  const atMove = lastLine();
  const there = onB(c, pid);
  assert.deepEqual(innerTids(there), tids);
  await waitUntil('both counters to move on on b', () => lastLine().every((v, i) => v > atMove[i]!));
  const numbers = linesOf(out, '').filter((l) => l.length > 0).map((l) => Number(l.split(' ')[0]));
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'the line numbers go on without a restart or a gap');
}));
