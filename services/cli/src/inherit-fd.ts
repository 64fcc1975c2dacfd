import fs from 'node:fs';
import { parseObjectKey } from '@ferry/proto/kinds/external';
import type { InheritFd } from '@ferry/restorer';

const SPEC = /^fd\[(\d+)\]:(.+)$/;

/** Commander's way to take a repeatable option: every value, in order. */
export function repeatable(value: string, earlier: string[] = []): string[] {
  return [...earlier, value];
}

/** `--inherit-fd fd[N]:ID` of restore. N must be a descriptor the caller left open for us. */
export function parseInheritFd(spec: string): InheritFd {
  const m = SPEC.exec(spec);
  if (!m) throw new Error(`--inherit-fd ${spec}: expected fd[N]:ID, ID being pipe:[INODE], an absolute path or PID:FD`);
  const fd = Number(m[1]);
  const key = m[2]!;
  try {
    parseObjectKey(key);
  } catch (e) {
    throw new Error(`--inherit-fd ${spec}: ${(e as Error).message}`);
  }
  try {
    fs.fstatSync(fd);
  } catch {
    throw new Error(`--inherit-fd ${spec}: fd ${fd} is not open`);
  }
  return { fd, key };
}

/**
 * Once the tree has them, the descriptors handed over are no longer ferry's to hold: a reader of
 * a handed-over pipe must see its end when the restored writer closes it, not when ferry exits.
 */
export function closeHandedOver(inherited: readonly InheritFd[]): void {
  // Ferry's own stdio stays: it still reports on it.
  for (const fd of new Set(inherited.map((i) => i.fd))) if (fd > 2) fs.closeSync(fd);
}
