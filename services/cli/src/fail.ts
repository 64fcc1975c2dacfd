/** Failures reach the user as one line naming the command and what went wrong. */
export function fail(command: string, e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`ferry ${command}: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}
