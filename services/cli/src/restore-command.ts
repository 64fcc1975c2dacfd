import type { Command } from 'commander';
import { isatty } from 'node:tty';
import { makeLogger } from './logger.js';
import { reportStats } from './stats.js';
import { repeatable, parseInheritFd, closeHandedOver } from './inherit-fd.js';
import { fail } from './fail.js';
import { config, redisOf } from './config.js';
import { natsOption } from './nats-options.js';
import { restoreSource } from './restore-source.js';
import { restoreOnHost } from './restore-remote.js';

/** `ferry restore -D DIR | --checkpoint ID [--host H]`: here, waited for unless -d, or by H's agent. */
export function registerRestore(program: Command): void {
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
    .option('--tcp-established', 'bring established TCP connections back (and lift their network lock)')
    .option('--stages <kind>', 'stage barrier: local (default) or bullmq (Redis at --redis or FERRY_REDIS_URL)')
    .option('--redis <url>', 'Redis for the bullmq stage barrier (implies --stages bullmq); with --host, of the job queues')
    .option('-v, --verbose', 'show each step on stderr')
    .action(async (o) => {
      if (o.host !== undefined) return restoreOnHost(o);
      const { restore, openStages } = await import('@ferry/restorer');
      let restored;
      try {
        const t0 = performance.now();
        const inheritFds = ((o.inheritFd ?? []) as string[]).map(parseInheritFd);
        // A shell job runs in the foreground of our terminal while we wait for it, as it did in its shell's.
        const foreground = !!o.shellJob && !o.restoreDetached && isatty(0);
        const log = makeLogger(!!o.verbose);
        const kind = o.stages ?? (o.redis ? 'bullmq' : 'local');
        const stages = await openStages({ kind, redis: kind === 'bullmq' ? await redisOf(o.redis) : undefined, host: config.host, timeoutMs: config.stageTimeoutMs, faults: config.faults.stages }, log);
        const source = await restoreSource(o);
        restored = await restore({ dir: source.dir, pidfile: o.pidfile, inheritFds, shellJob: !!o.shellJob, tcpEstablished: !!o.tcpEstablished, foreground, log, consumePages: source.disposable }, stages).finally(() => stages.close());
        await source.cleanup();
        closeHandedOver(inheritFds);
        reportStats({ ms: performance.now() - t0, pageBytes: restored.pageBytes, pid: restored.pid });
      } catch (e) {
        fail('restore', e);
      }
      if (o.restoreDetached) process.exit(0);
      const end = await restored.wait();
      if (restored.previousForeground !== null) (await import('@ferry/sys')).handTerminalTo(0, restored.previousForeground);
      if (end.kind === 'exited') process.exit(end.code);
      if (end.kind === 'signaled') process.exit(128 + end.signal);
      process.exit(0);
    });
}
