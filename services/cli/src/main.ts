import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { dump, FERRY_VERSION } from '@ferry/dumper';
import { restore, openStages } from '@ferry/restorer';
import { handTerminalTo } from '@ferry/sys';
import { isatty } from 'node:tty';
import { show } from './show.js';
import { makeLogger } from './logger.js';
import { reportStats } from './stats.js';
import { repeatable, parseInheritFd, closeHandedOver } from './inherit-fd.js';
import { fail } from './fail.js';
import { config, redisOf } from './config.js';
import { countArg } from './count-arg.js';
import { natsOption } from './nats-options.js';
import { dumpTarget } from './dump-target.js';
import { restoreSource } from './restore-source.js';
import { restoreOnHost } from './restore-remote.js';
import { registerImageServer } from './image-server-command.js';
import { registerCheckpoints } from './checkpoints-command.js';
import { registerAgent } from './agent-command.js';
import { registerMigrate } from './migrate-command.js';
import { registerMigrationSource } from './migration-source-command.js';
import { pidArg } from './pid-arg.js';


export function buildProgram(name: string): Command {
  const program = new Command(name)
    .description('checkpoint and restore Linux process trees')
    .version(FERRY_VERSION)
    .showHelpAfterError(false)
    .exitOverride();

  natsOption(program
    .command('dump')
    .description('freeze a process, write its checkpoint to a directory or the image server, then kill it (or resume it)')
    .requiredOption('-t, --tree <pid>', 'the process to checkpoint', pidArg)
    .option('-D, --images-dir <dir>', 'directory to write the checkpoint into')
    .option('--image-server', 'send the checkpoint to the image server over NATS instead (prints its id)')
    .option('--name <workload>', 'with --image-server: the workload the checkpoint belongs to (default host:pid:exe)')
    .option('--keep-last <n>', 'with --image-server: keep only the last N checkpoints of the workload', countArg))
    .option('-R, --leave-running', 'resume the process after the dump instead of killing it')
    .option('--inherit-fd <id>', 'leave this object (pipe:[INODE], a path, PID:FD) out of the checkpoint: restore is handed it (repeatable)', repeatable)
    .option('-j, --shell-job', 'the tree is a job of a shell outside it: leave its terminal out')
    .option('-v, --verbose', 'show each step on stderr')
    .action(async (o) => {
      try {
        const target = await dumpTarget(o);
        try {
          const d = await dump({ pid: o.tree, ...target.options, leaveRunning: !!o.leaveRunning, external: o.inheritFd, shellJob: !!o.shellJob, log: makeLogger(!!o.verbose), failBeforeCommit: config.faults.dumpBeforeCommit });
          target.done(d);
          reportStats({ ms: d.frozenMs, pageBytes: Number(d.pageBytes), pid: d.pid });
        } finally {
          await target.close();
        }
      } catch (e) {
        fail('dump', e);
      }
    });

  natsOption(program
    .command('restore')
    .description('bring a checkpointed process back, with its pid; wait for it unless -d')
    .option('-D, --images-dir <dir>', 'directory holding the checkpoint')
    .option('--checkpoint <id>', 'fetch the checkpoint from the image server instead')
    .option('--host <name>', 'with --checkpoint: restore it on that host, by its agent (detached); prints the pid there'))
    .option('-d, --restore-detached', 'exit once the process runs instead of waiting for it')
    .option('--pidfile <file>', 'write the restored pid to this file')
    .option('--inherit-fd <fd[N]:id>', 'our fd N takes the place of ID (pipe:[INODE], a path, PID:FD) in the restored tree (repeatable)', repeatable)
    .option('-j, --shell-job', 'a shell job: attach the tree to the terminal ferry runs in')
    .option('--stages <kind>', 'stage barrier: local (default) or bullmq (Redis at --redis or FERRY_REDIS_URL)')
    .option('--redis <url>', 'Redis for the bullmq stage barrier (implies --stages bullmq); with --host, of the job queues')
    .option('-v, --verbose', 'show each step on stderr')
    .action(async (o) => {
      if (o.host !== undefined) return restoreOnHost(o);
      let restored;
      try {
        const t0 = performance.now();
        const inheritFds = ((o.inheritFd ?? []) as string[]).map(parseInheritFd);
        // A shell job runs in the foreground of our terminal while we wait for it, as it did in its shell's.
        const foreground = !!o.shellJob && !o.restoreDetached && isatty(0);
        const log = makeLogger(!!o.verbose);
        const kind = o.stages ?? (o.redis ? 'bullmq' : 'local');
        const stages = await openStages({ kind, redis: kind === 'bullmq' ? redisOf(o.redis) : undefined, host: config.host, timeoutMs: config.stageTimeoutMs, faults: config.faults.stages }, log);
        const source = await restoreSource(o);
        restored = await restore({ dir: source.dir, pidfile: o.pidfile, inheritFds, shellJob: !!o.shellJob, foreground, log, consumePages: source.disposable }, stages).finally(() => stages.close());
        await source.cleanup();
        closeHandedOver(inheritFds);
        reportStats({ ms: performance.now() - t0, pageBytes: restored.pageBytes, pid: restored.pid });
      } catch (e) {
        fail('restore', e);
      }
      if (o.restoreDetached) process.exit(0);
      const end = await restored.wait();
      if (restored.previousForeground !== null) handTerminalTo(0, restored.previousForeground);
      if (end.kind === 'exited') process.exit(end.code);
      if (end.kind === 'signaled') process.exit(128 + end.signal);
      process.exit(0);
    });

  program
    .command('show')
    .description('what a checkpoint holds: tables for people, --json for tools')
    .argument('<dir>', 'checkpoint directory')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o) => {
      try {
        process.stdout.write((await show(dir, !!o.json)) + '\n');
      } catch (e) {
        fail('show', e);
      }
    });

  registerImageServer(program);
  registerCheckpoints(program);
  registerAgent(program);
  registerMigrate(program);
  registerMigrationSource(program);
  return program;
}

export async function run(argv: string[], name: string): Promise<void> {
  const program = buildProgram(name);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode);
    fail(argv[0] ?? '', e);
  }
}
