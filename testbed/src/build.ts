// Test workloads are C sources in testbed/workloads, compiled once per run into a private directory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { workloadSources } from './paths.js';

let binDir: string | undefined;
const built = new Map<string, string>();

/** Path of the compiled workload `name` (workloads/NAME.c), compiling it on first use. */
export function workload(name: string, extraFlags: string[] = []): string {
  const key = [name, ...extraFlags].join(' ');
  const known = built.get(key);
  if (known) return known;
  if (!binDir) {
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-test-bin-'));
    // Whatever the test file does or forgets, its compiled workloads go with it.
    process.once('exit', removeBuiltWorkloads);
  }
  const variant = path.join(binDir, String(built.size));
  fs.mkdirSync(variant);
  const out = path.join(variant, name);
  compileC(path.join(workloadSources, `${name}.c`), out, ['-O1', '-g', '-Wall', '-Werror=format', ...extraFlags]);
  built.set(key, out);
  return out;
}

export function removeBuiltWorkloads(): void {
  if (binDir) fs.rmSync(binDir, { recursive: true, force: true });
  binDir = undefined;
  built.clear();
}

/** gcc SOURCE into OUT with FLAGS; a failure carries gcc's messages. */
export function compileC(source: string, out: string, flags: string[]): void {
  execFileSync('gcc', [...flags, '-o', out, source], { stdio: 'pipe' });
}
