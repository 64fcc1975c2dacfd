import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { fail } from './fail.js';
import { registerDump, registerPreDump } from './dump-command.js';
import { registerRestore } from './restore-command.js';
import { registerShow } from './show-command.js';
import { registerImageServer } from './image-server-command.js';
import { registerCheckpoints } from './checkpoints-command.js';
import { registerAgent } from './agent-command.js';
import { registerMigrate } from './migrate-command.js';
import { registerMigrationSource } from './migration-source-command.js';

// Every command loads its services (the dumper, the restorer, @ferry/agent, the image server) when
// it runs: `ferry --help` loads commander and the option definitions only, and a local dump or
// restore loads no BullMQ and no image server.
/** The cli's own version, without loading the dumper that records it in images (the same number). */
function version(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

export function buildProgram(name: string): Command {
  const program = new Command(name)
    .description('checkpoint and restore Linux process trees')
    .version(version())
    .showHelpAfterError(false)
    .exitOverride();

  registerDump(program);
  registerPreDump(program);
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
