// Terminals: pty pairs, controlling terminals, job control and the bytes in flight come back
// exactly, as the programs on them and the terminal side see them.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, script, Scratch, launch, treeOf, readStat, waitGone, waitForLine, waitUntil, sleep, killAll, ferry, ferryOk, Terminal } from '@ferry/testbed';

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
  assert.match(before, / excl=1 /);
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

test('output the terminal had not read, and input the program had not read, survive a failed dump, a --leave-running dump and a restore', () => withProbe(['cooked', 'queued output\n'], async ({ scratch, term, probe, report }) => {
  term.type('typed ahead');
  await term.waitScreen('the echo', /typed ahead$/);
  term.togglePause();
  await sleep(50);
  await probeReport(report, probe, 'SIGALRM', 'wrote');
  const failed = await ferry(['dump', '-t', String(term.relay), '-D', scratch.path('img-failed')], { env: { FERRY_FAIL_DUMP: 'commit' } });
  assert.match(failed.stderr, /^ferry dump: dump failed before its commit/);
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

test('a full-screen curses program keeps its window size and redraws', async () => {
  const scratch = new Scratch();
  const report = scratch.path('report');
  const term = new Terminal(scratch, ['python3', script('fullscreen.py'), report]);
  try {
    const program = await term.program();
    await waitForLine(report, /^ready/);
    const before = reportLines(report, 'size')[0]!;
    assert.match(before, /^size curses=37x123 kernel=37x123 /);
    await dumpAndRestore(scratch, term);
    assert.equal(await probeReport(report, program, 'SIGUSR1', 'size'), before);
    await term.waitScreen('the redraw', /full screen 37x123/);
  } finally {
    await term.kill();
    scratch.remove();
  }
});

test('a restore whose pty index is taken fails naming it, and leaves nothing behind', () => withProbe(['raw'], async ({ scratch, term }) => {
  const index = Number(/^\/dev\/pts\/(\d+)$/.exec(fs.readlinkSync(`/proc/${await term.program()}/fd/0`))![1]);
  const pids = treeOf(term.relay);
  await ferryOk(['dump', '-t', String(term.relay), '-D', scratch.path('img')]);
  for (const pid of pids) await waitGone(pid);
  const masters: number[] = [];
  try {
    while (!fs.existsSync(`/dev/pts/${index}`) && masters.length < 256) masters.push(fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY));
    const r = await ferry(['restore', '-D', scratch.path('img'), '-d']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`^ferry restore: .*pty index ${index} is already in use .*\\n$`));
    for (const pid of pids) assert.equal(fs.existsSync(`/proc/${pid}`), false);
  } finally {
    for (const fd of masters) fs.closeSync(fd);
  }
}));
