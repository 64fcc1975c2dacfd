// Terminals: pty pairs, controlling terminals, job control and the bytes in flight come back
// exactly, as the programs on them and the terminal side see them.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { workload, removeBuiltWorkloads, script, bedTest, type TestBed, dump, dumpAndRestore, treeOf, readStat, waitForLine, waitUntil, sleep, ferry, ferryOk, Terminal } from '@ferry/testbed';

after(removeBuiltWorkloads);

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

/** A test whose BODY runs ARGV on a terminal of BED's, killed with whatever it started at the end. */
function terminalTest(name: string, argv: string[], body: (term: Terminal, bed: TestBed) => Promise<void>): void {
  bedTest(name, async (bed) => {
    const term = new Terminal(bed.scratch, argv);
    try {
      await body(term, bed);
    } finally {
      await term.kill();
    }
  });
}

/** Dumps the tree on TERM (the relay's) into the bed and restores it. */
const dumpAndRestoreTerminal = (bed: TestBed, term: Terminal) => dumpAndRestore(term.relay, bed.scratch.path('img'));

interface Probe { bed: TestBed; term: Terminal; probe: number; report: string }

/** A test whose BODY gets tty-probe ARGS (its mode first) on a terminal of its own, ready. */
function probeTest(name: string, args: string[], body: (p: Probe) => Promise<void>): void {
  bedTest(name, async (bed) => {
    const report = bed.scratch.path('report');
    const term = new Terminal(bed.scratch, [workload('tty-probe'), report, ...args]);
    try {
      const probe = await term.program();
      await waitForLine(report, /^ready/);
      await body({ bed, term, probe, report });
    } finally {
      await term.kill();
    }
  });
}

terminalTest('an interactive bash on a pty keeps its variables, terminal and job control', ['bash', '--norc', '--noprofile', '-i'], async (term, bed) => {
  const bash = await term.program();
  await term.waitScreen('the prompt', /# $/);
  term.type('x=42\n');
  await term.waitScreen('the next prompt', /x=42\r\n.*# $/s);
  const state = () => ({ bash: readStat(bash), tty: ttyFields(bash), relay: ttyFields(term.relay), relayFds: fs.readdirSync(`/proc/${term.relay}/fd`).map((fd) => fs.readlinkSync(`/proc/${term.relay}/fd/${fd}`)) });
  const before = state();
  assert.equal(before.relay.ttyNr, '0', 'the relay holds the slave without it being its terminal');
  assert.ok(before.relayFds.some((f) => /^\/dev\/pts\/\d+$/.test(f)));
  await dumpAndRestoreTerminal(bed, term);
  assert.deepEqual(state(), before);
  term.type('echo $((x+1))\n');
  await term.waitScreen('bash to answer', /[\r\n]43\r\n/);
});

probeTest('a raw-mode program keeps its termios, c_cc, 37x123 window, session, groups and /dev/tty', ['raw'], async ({ bed, term, probe, report }) => {
  const before = await probeReport(report, probe, 'SIGUSR1', 'state');
  assert.match(before, / size=37x123 /);
  assert.match(before, / fd5=\/dev\/tty devtty-works=1$/);
  assert.match(before, / excl=1 /);
  await dumpAndRestoreTerminal(bed, term);
  assert.equal(await probeReport(report, probe, 'SIGUSR1', 'state'), before);
});

probeTest('in cooked mode a partial line typed before the dump is completed after it, echoed once', ['cooked'], async ({ bed, term, probe, report }) => {
  term.type('partial');
  await term.waitScreen('the echo', /partial$/);
  await dumpAndRestoreTerminal(bed, term);
  term.type(' line\n');
  await term.waitScreen('the echo of the rest', /partial line\r\n$/);
  const read = await probeReport(report, probe, 'SIGUSR2', 'read');
  assert.equal(read, `read 13 ${Buffer.from('partial line\n').toString('hex')}`);
  await sleep(100);
  assert.equal(term.screen().split('partial').length, 2, 'the partial line was echoed once');
});

probeTest('output the terminal had not read, and input the program had not read, survive a failed dump, a --leave-running dump and a restore', ['cooked', 'queued output\n'], async ({ bed, term, probe, report }) => {
  term.type('typed ahead');
  await term.waitScreen('the echo', /typed ahead$/);
  term.togglePause();
  await sleep(50);
  await probeReport(report, probe, 'SIGALRM', 'wrote');
  const failed = await ferry(['dump', '-t', String(term.relay), '-D', bed.scratch.path('img-failed')], { env: { FERRY_FAIL_DUMP: 'commit' } });
  assert.match(failed.stderr, /^ferry dump: dump failed before its commit/);
  await dump(term.relay, bed.scratch.path('img-live'), ['--leave-running']);
  await dumpAndRestoreTerminal(bed, term);
  term.togglePause();
  await term.waitScreen('the queued output', /queued output\r\n$/);
  assert.equal(term.screen().split('queued output').length, 2, 'the output arrived once');
  assert.doesNotMatch(term.screen(), /\r\r\n/);
  term.type('\n');
  assert.equal(await probeReport(report, probe, 'SIGUSR2', 'read'), `read 12 ${Buffer.from('typed ahead\n').toString('hex')}`);
});

probeTest('a terminal whose output queue is full until writes would block comes back full', ['raw', 'fill'], async ({ bed, term, probe, report }) => {
  const shown = term.screen().length;
  term.togglePause();
  await sleep(50);
  const filled = Number((await probeReport(report, probe, 'SIGALRM', 'filled')).split(' ')[1]);
  assert.ok(filled > 4096, `only ${filled} bytes fit`);
  await dumpAndRestoreTerminal(bed, term);
  term.togglePause();
  await waitUntil(`${filled} bytes on the screen`, () => term.screen().length >= shown + filled);
  const got = term.screen().slice(shown);
  assert.equal(got.length, filled);
  assert.equal(got, Array.from({ length: filled }, (_, i) => String.fromCharCode(97 + ((i % 1024) % 26))).join(''));
});

bedTest('a pty whose master was closed comes back hung the same way', async (bed) => {
  const out = bed.output.file;
  const pid = bed.start([workload('hung-pty')]);
  await waitForLine(out, /^ready/);
  const before = reportLines(out, 'hung')[0]!;
  assert.match(before, /^hung read=0\/Success tcgetattr=-1\/Input\/output error fd10=\/dev\/pts\/\d+ \(deleted\)$/);
  await dumpAndRestore(pid, bed.scratch.path('img'));
  const after = await probeReport(out, pid, 'SIGUSR1', 'hung');
  assert.equal(after.replace(/pts\/\d+/, 'pts/N'), before.replace(/pts\/\d+/, 'pts/N'));
});

probeTest('ferry show lists the terminals: index, ends, session, foreground group, size, mode, queued bytes', ['cooked'], async ({ bed, term, probe, report }) => {
  term.type('abc');
  await term.waitScreen('the echo', /abc$/);
  await dump(term.relay, bed.scratch.path('img'), ['--leave-running']);
  const shown = (await ferryOk(['show', bed.scratch.path('img')])).stdout;
  const row = shown.split('\n').find((l) => /^\d+\s+master\+slave/.test(l));
  assert.ok(row, `no terminal row in:\n${shown}`);
  assert.match(row!, new RegExp(`^\\d+\\s+master\\+slave\\s+${probe}\\s+${probe}\\s+37x123\\s+cooked\\s+3\\s+0\\s*$`));
  const json = JSON.parse((await ferryOk(['show', bed.scratch.path('img'), '--json'])).stdout);
  assert.equal(json.ttys[0].queuedInput, 3);
});

bedTest('a full-screen curses program keeps its window size and redraws', async (bed) => {
  const report = bed.scratch.path('report');
  const term = new Terminal(bed.scratch, ['python3', script('fullscreen.py'), report]);
  try {
    const program = await term.program();
    await waitForLine(report, /^ready/);
    const before = reportLines(report, 'size')[0]!;
    assert.match(before, /^size curses=37x123 kernel=37x123 /);
    await dumpAndRestoreTerminal(bed, term);
    assert.equal(await probeReport(report, program, 'SIGUSR1', 'size'), before);
    await term.waitScreen('the redraw', /full screen 37x123/);
  } finally {
    await term.kill();
  }
});

probeTest('a restore whose pty index is taken fails naming it, and leaves nothing behind', ['raw'], async ({ bed, term }) => {
  const index = Number(/^\/dev\/pts\/(\d+)$/.exec(fs.readlinkSync(`/proc/${await term.program()}/fd/0`))![1]);
  const pids = treeOf(term.relay);
  await dump(term.relay, bed.scratch.path('img'));
  const masters: number[] = [];
  try {
    while (!fs.existsSync(`/dev/pts/${index}`) && masters.length < 256) masters.push(fs.openSync('/dev/ptmx', fs.constants.O_RDWR | fs.constants.O_NOCTTY));
    const r = await ferry(['restore', '-D', bed.scratch.path('img'), '-d']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`^ferry restore: .*pty index ${index} is already in use .*\\n$`));
    for (const pid of pids) assert.equal(fs.existsSync(`/proc/${pid}`), false);
  } finally {
    for (const fd of masters) fs.closeSync(fd);
  }
});
