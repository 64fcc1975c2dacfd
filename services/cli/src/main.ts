import { Command, CommanderError } from 'commander';
import { FERRY_VERSION } from '@ferry/dumper';
import { fail } from './fail.js';
import { registerDump } from './dump-command.js';
import { registerRestore } from './restore-command.js';
import { registerShow } from './show-command.js';
import { registerImageServer } from './image-server-command.js';
import { registerCheckpoints } from './checkpoints-command.js';
import { registerAgent } from './agent-command.js';
import { registerMigrate } from './migrate-command.js';
import { registerMigrationSource } from './migration-source-command.js';

// The distributed mode's commands load their services (@ferry/agent, the image server) when they
// run: a local dump or restore loads no BullMQ and no image server.
export function buildProgram(name: string): Command {
  const program = new Command(name)
    .description('checkpoint and restore Linux process trees')
    .version(FERRY_VERSION)
    .showHelpAfterError(false)
    .exitOverride();

  registerDump(program);
  registerRestore(program);
  registerShow(program);
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
