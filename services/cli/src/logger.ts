import { pino, destination } from 'pino';

/** Human-readable diagnostics go to stderr; -v shows the steps, otherwise only warnings. */
export function makeLogger(verbose: boolean) {
  return pino({ level: verbose ? 'debug' : 'warn', base: undefined, timestamp: false }, destination(2));
}
