import type { Command } from 'commander';
// The kinds' own modules only: the package's index would load protobufjs for `ferry --help`.
import { GHOST_LIMIT_DEFAULT, GHOST_LIMIT_MAX } from '@ferry/proto/kinds/ghost';
import { makeLogger } from './logger.js';
import { reportStats } from './stats.js';
import { repeatable } from './inherit-fd.js';
import { fail } from './fail.js';
import { config } from './config.js';
import { countArg } from './count-arg.js';
import { natsOption } from './nats-options.js';
import { dumpTarget } from './dump-target.js';
import { pidArg } from './pid-arg.js';
import { sizeArg } from './size-arg.js';

/** `ferry dump -t PID -D DIR | --image-server`. */
export function registerDump(program: Command): void {
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
    .option('--ghost-limit <size>', `keep deleted files still open up to this size (default ${GHOST_LIMIT_DEFAULT >> 20}M, at most ${GHOST_LIMIT_MAX >> 20}M)`, sizeArg(GHOST_LIMIT_MAX))
    .option('--ext-unix-sk', 'keep datagram unix sockets connected outside the tree: restore reconnects them to their peer\'s address')
    .option('-j, --shell-job', 'the tree is a job of a shell outside it: leave its terminal out')
    .option('--tcp-established', 'carry established TCP connections (repair mode; their packets are dropped until restore)')
    .option('-l, --file-locks', 'record the flock, POSIX and OFD locks the tree holds, and take them again at restore')
    .option('--prev-images-dir <dir>', 'a pre-dump (relative to -D): write only the pages written since, the image refers to it for the rest (needs --track-mem)')
    .option('--track-mem', 'read the writes tracked since the pre-dump given with --prev-images-dir')
    .option('--sysv-ipc', 'carry the System V semaphore sets and message queues the tree used last, with their values and queued messages')
    .option('-v, --verbose', 'show each step on stderr')
    .action(async (o) => {
      try {
        if ((o.prevImagesDir !== undefined) !== !!o.trackMem) throw new Error('--prev-images-dir and --track-mem go together: the pages left out are known from the tracking the pre-dump armed');
        if (o.prevImagesDir !== undefined && o.imagesDir === undefined) throw new Error('--prev-images-dir needs -D: an incremental image is a local directory beside its pre-dump');
        const { dump } = await import('@ferry/dumper');
        const target = await dumpTarget(o);
        try {
          const d = await dump({ pid: o.tree, ...target.options, prevImagesDir: o.prevImagesDir, leaveRunning: !!o.leaveRunning, external: o.inheritFd, ghostLimit: o.ghostLimit, extUnixSk: !!o.extUnixSk, tcpEstablished: !!o.tcpEstablished, shellJob: !!o.shellJob, fileLocks: !!o.fileLocks, sysvIpc: !!o.sysvIpc, log: makeLogger(!!o.verbose), failBeforeCommit: config.faults.dumpBeforeCommit });
          target.done(d);
          reportStats({ ms: d.frozenMs, pageBytes: Number(d.pageBytes), pid: d.pid });
        } finally {
          await target.close();
        }
      } catch (e) {
        fail('dump', e);
      }
    });
}

/** `ferry pre-dump -t PID -D DIR`: the memory now, and write tracking for `dump --track-mem`. */
export function registerPreDump(program: Command): void {
  program
    .command('pre-dump')
    .description('copy a running tree\'s memory into DIR and leave it running with its writes tracked, for `dump --prev-images-dir DIR --track-mem`')
    .requiredOption('-t, --tree <pid>', 'the process to pre-dump', pidArg)
    .requiredOption('-D, --images-dir <dir>', 'directory to write the pre-dump into')
    .option('-j, --shell-job', 'the tree is a job of a shell outside it: leave its terminal out')
    .option('-v, --verbose', 'show each step on stderr')
    .action(async (o) => {
      try {
        const { dump } = await import('@ferry/dumper');
        const d = await dump({ pid: o.tree, dir: o.imagesDir, preDump: true, shellJob: !!o.shellJob, log: makeLogger(!!o.verbose), failBeforeCommit: config.faults.dumpBeforeCommit });
        reportStats({ ms: d.frozenMs, pageBytes: Number(d.pageBytes), pid: d.pid });
      } catch (e) {
        fail('pre-dump', e);
      }
    });
}
