// Where the testbed finds what it runs: the repository's `ferry` command, and its own workload
// sources and scripts. Resolved from this file (dist/src/paths.js), wherever the caller is.
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
export const testbedRoot = path.resolve(here, '../..');
export const repoRoot = path.dirname(testbedRoot);
/** The `ferry` command as users run it. */
export const ferryBin = path.join(repoRoot, 'services/cli/bin/ferry.js');
/** The C workloads (NAME.c and their headers), compiled by workload(). */
export const workloadSources = path.join(testbedRoot, 'workloads');

/** Path of the script NAME (python or node) the tests run as real programs. */
export function script(name: string): string {
  return path.join(testbedRoot, 'scripts', name);
}
