import { createRequire } from 'node:module';

// pino is loaded by the first logger made, not by `ferry --help`.
const load = createRequire(import.meta.url);

/** Human-readable diagnostics go to stderr; -v shows the steps, otherwise only warnings. */
export function makeLogger(verbose: boolean) {
  const { pino, destination } = load('pino') as typeof import('pino');
  return pino({ level: verbose ? 'debug' : 'warn', base: undefined, timestamp: false }, destination(2));
}
