// A workload's output file read as a sequence of lines: each wait starts after the line the
// previous one returned, so a second "check ok" is not mistaken for the first.
import fs from 'node:fs';
import { waitUntil } from './processes.js';

export class Output {
  private consumed = 0;
  constructor(readonly file: string) {}

  lines(): string[] {
    const text = fs.existsSync(this.file) ? fs.readFileSync(this.file, 'utf8') : '';
    return text.split('\n').slice(0, -1); // the last piece is an unfinished line (or empty)
  }

  /** Waits for the next line matching PATTERN and returns it. */
  async next(pattern: RegExp, timeoutMs?: number): Promise<string> {
    let index = -1;
    await waitUntil(`${pattern} in ${this.file}`, () => {
      index = this.lines().findIndex((l, i) => i >= this.consumed && pattern.test(l));
      return index >= 0;
    }, timeoutMs);
    this.consumed = index + 1;
    return this.lines()[index]!;
  }
}
