// Terminals: pty pairs, controlling terminals, job control and the bytes in flight come back
// exactly, as the programs on them and the terminal side see them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads } from './harness/build.js';
import { Scratch } from './harness/scratch.js';
import { launch, treeOf, readStat, waitGone, waitForLine, waitUntil, sleep, killAll } from './harness/processes.js';
import { ferryOk } from './harness/ferry.js';
import { Terminal } from './harness/terminal.js';

after(removeBuiltWorkloads);

async function dumpAndRestore(scratch: Scratch, term: Terminal, dumpArgs: string[] = []): Promise<void> {
  const pids = treeOf(term.relay);
  await ferryOk(['dump', '-t', String(term.relay), '-D', scratch.path('img'), ...dumpArgs]);
  for (const pid of pids) await waitGone(pid);
  await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
}

function ttyFields(pid: number): { ttyNr: string; tpgid: string } {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { ttyNr: f[4]!, tpgid: f[5]! };
}

const reportLines = (file: string, prefix: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith(prefix));

async function probeReport(file: string, pid: number, signal: NodeJS.Signals, prefix: string): Promise<string> {
  const earlier = reportLines(file, prefix).length;
  process.kill(pid, signal);
  await waitUntil(`a "${prefix}" report`, () => reportLines(file, prefix).length > earlier);
  return reportLines(file, prefix)[earlier]!;
}

interface Probe { scratch: Scratch; term: Terminal; probe: number; report: string }

/** tty-probe in MODE on a terminal of its own, ready; everything it made is removed afterwards. */
async function withProbe(args: string[], body: (p: Probe) => Promise<void>): Promise<void> {
  const scratch = new Scratch();
  const report = scratch.path('report');
  const term = new Terminal(scratch, [workload('tty-probe'), report, ...args]);
  try {
    const probe = await term.program();
    await waitForLine(report, /^ready/);
    await body({ scratch, term, probe, report });
  } finally {
    await term.kill();
    scratch.remove();
  }
}

test('an interactive bash on a pty keeps its variables, terminal and job control', async () => {
  const scratch = new Scratch();
  const term = new Terminal(scratch, ['bash', '--norc', '--noprofile', '-i']);
  try {
    const bash = await term.program();
    await term.waitScreen('the prompt', /# $/);
    term.type('x=42\n');
    await term.waitScreen('the next prompt', /x=42\r\n.*# $/s);
    const state = () => ({ bash: readStat(bash), tty: ttyFields(bash), relay: ttyFields(term.relay), relayFds: fs.readdirSync(`/proc/${term.relay}/fd`).map((fd) => fs.readlinkSync(`/proc/${term.relay}/fd/${fd}`)) });
    const before = state();
    assert.equal(before.relay.ttyNr, '0', 'the relay holds the slave without it being its terminal');
    assert.ok(before.relayFds.some((f) => /^\/dev\/pts\/\d+$/.test(f)));
    await dumpAndRestore(scratch, term);
    assert.deepEqual(state(), before);
    term.type('echo $((x+1))\n');
    await term.waitScreen('bash to answer', /[\r\n]43\r\n/);
  } finally {
    await term.kill();
    scratch.remove();
  }
});

test('a raw-mode program keeps its termios, c_cc, 37x123 window, session, groups and /dev/tty', () => withProbe(['raw'], async ({ scratch, term, probe, report }) => {
  const before = await probeReport(report, probe, 'SIGUSR1', 'state');
  assert.match(before, / size=37x123 /);
  assert.match(before, / fd5=\/dev\/tty devtty-works=1$/);
  await dumpAndRestore(scratch, term);
  assert.equal(await probeReport(report, probe, 'SIGUSR1', 'state'), before);
}));

test('in cooked mode a partial line typed before the dump is completed after it, echoed once', () => withProbe(['cooked'], async ({ scratch, term, probe, report }) => {
  term.type('partial');
  await term.waitScreen('the echo', /partial$/);
  await dumpAndRestore(scratch, term);
  term.type(' line\n');
  await term.waitScreen('the echo of the rest', /partial line\r\n$/);
  const read = await probeReport(report, probe, 'SIGUSR2', 'read');
  assert.equal(read, `read 13 ${Buffer.from('partial line\n').toString('hex')}`);
  await sleep(100);
  assert.equal(term.screen().split('partial').length, 2, 'the partial line was echoed once');
}));

test('output the terminal had not read, and input the program had not read, survive a --leave-running dump and a restore', () => withProbe(['cooked', 'queued output\n'], async ({ scratch, term, probe, report }) => {
  term.type('typed ahead');
  await term.waitScreen('the echo', /typed ahead$/);
  term.togglePause();
  await sleep(50);
  await probeReport(report, probe, 'SIGALRM', 'wrote');
  await ferryOk(['dump', '-t', String(term.relay), '-D', scratch.path('img-live'), '--leave-running']);
  await dumpAndRestore(scratch, term);
  term.togglePause();
  await term.waitScreen('the queued output', /queued output\r\n$/);
  assert.equal(term.screen().split('queued output').length, 2, 'the output arrived once');
  assert.doesNotMatch(term.screen(), /\r\r\n/);
  term.type('\n');
  assert.equal(await probeReport(report, probe, 'SIGUSR2', 'read'), `read 12 ${Buffer.from('typed ahead\n').toString('hex')}`);
}));

test('a terminal whose output queue is full until writes would block comes back full', () => withProbe(['raw', 'fill'], async ({ scratch, term, probe, report }) => {
  const shown = term.screen().length;
  term.togglePause();
  await sleep(50);
  const filled = Number((await probeReport(report, probe, 'SIGALRM', 'filled')).split(' ')[1]);
  assert.ok(filled > 4096, `only ${filled} bytes fit`);
  await dumpAndRestore(scratch, term);
  term.togglePause();
  await waitUntil(`${filled} bytes on the screen`, () => term.screen().length >= shown + filled);
  const got = term.screen().slice(shown);
  assert.equal(got.length, filled);
  assert.equal(got, Array.from({ length: filled }, (_, i) => String.fromCharCode(97 + ((i % 1024) % 26))).join(''));
}));

test('a pty whose master was closed comes back hung the same way', async () => {
  const scratch = new Scratch();
  const out = scratch.path('out');
  const pid = launch([workload('hung-pty')], { newSession: true, output: out });
  try {
    await waitForLine(out, /^ready/);
    const before = reportLines(out, 'hung')[0]!;
    assert.match(before, /^hung read=0\/Success tcgetattr=-1\/Input\/output error fd10=\/dev\/pts\/\d+ \(deleted\)$/);
    await ferryOk(['dump', '-t', String(pid), '-D', scratch.path('img')]);
    await waitGone(pid);
    await ferryOk(['restore', '-D', scratch.path('img'), '-d']);
    const after = await probeReport(out, pid, 'SIGUSR1', 'hung');
    assert.equal(after.replace(/pts\/\d+/, 'pts/N'), before.replace(/pts\/\d+/, 'pts/N'));
  } finally {
    await killAll([pid]);
    scratch.remove();
  }
});

test('ferry show lists the terminals: index, ends, session, foreground group, size, mode, queued bytes', () => withProbe(['cooked'], async ({ scratch, term, probe, report }) => {
  term.type('abc');
  await term.waitScreen('the echo', /abc$/);
  await ferryOk(['dump', '-t', String(term.relay), '-D', scratch.path('img'), '--leave-running']);
  const shown = (await ferryOk(['show', scratch.path('img')])).stdout;
  const row = shown.split('\n').find((l) => /^\d+\s+master\+slave/.test(l));
  assert.ok(row, `no terminal row in:\n${shown}`);
  assert.match(row!, new RegExp(`^\\d+\\s+master\\+slave\\s+${probe}\\s+${probe}\\s+37x123\\s+cooked\\s+3\\s+0\\s*$`));
  const json = JSON.parse((await ferryOk(['show', scratch.path('img'), '--json'])).stdout);
  assert.equal(json.ttys[0].queuedInput, 3);
}));
