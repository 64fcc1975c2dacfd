// A directory per test for images and workload output, removed when the test ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export class Scratch {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-test-'));
  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
