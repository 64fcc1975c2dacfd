import type { Command } from 'commander';
import { fail } from './fail.js';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('what a checkpoint holds: tables for people, --json for tools')
    .argument('<dir>', 'checkpoint directory')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o) => {
      try {
        process.stdout.write((await (await import('./show.js')).show(dir, !!o.json)) + '\n');
      } catch (e) {
        fail('show', e);
      }
    });
}
