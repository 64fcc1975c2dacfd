// How a failed ferry command must look to its user, and images made bad on purpose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { FerryResult } from './ferry.js';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Asserts that `ferry COMMAND` failed with exactly one line on stderr that ends with CAUSE (a
 * string, or a pattern for the varying parts). Whatever ferry says before the cause, such as the
 * restore stage that hit it, is left free.
 */
export function assertFailedWith(result: FerryResult, command: string, cause: string | RegExp): void {
  assert.notEqual(result.status, 0, 'ferry exits non-zero');
  assert.match(result.stderr, /^[^\n]*\n$/, `one line on stderr: ${JSON.stringify(result.stderr)}`);
  const causeSource = typeof cause === 'string' ? escape(cause) : cause.source;
  assert.match(result.stderr.trimEnd(), new RegExp(`^ferry ${command}: (.*: )?${causeSource}$`));
}

/** Copies the image directory FROM to TO, returning TO. */
export function copyImage(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true });
  return to;
}

/** Where each frame ([u32 LE length][record]) of a records.log starts. */
export function frameStarts(log: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 0; at < log.length; at += 4 + log.readUInt32LE(at)) starts.push(at);
  return starts;
}

export function flipByte(file: string, at: number): void {
  const bytes = fs.readFileSync(file);
  bytes[at]! ^= 0x01;
  fs.writeFileSync(file, bytes);
}

export const recordsOf = (dir: string) => path.join(dir, 'records.log');
export const pagesOf = (dir: string) => path.join(dir, 'pages.img');
