export interface Range {
  start: bigint;
  end: bigint;
}

const LOWEST = 0x10000n;
const HIGHEST = 0x7fff00000000n;

/** The lowest page-aligned range of `size` bytes that overlaps none of `taken`. */
export function findFreeRange(taken: Range[], size: bigint, from = LOWEST): bigint {
  const sorted = [...taken].sort((a, b) => (a.start < b.start ? -1 : 1));
  let candidate = from;
  for (const r of sorted) {
    if (r.end <= candidate) continue;
    if (r.start >= candidate + size) break;
    candidate = (r.end + 0xfffn) & ~0xfffn;
  }
  if (candidate + size > HIGHEST) throw new Error('no free address range left for the restorer');
  return candidate;
}

export function overlaps(a: Range, b: Range): boolean {
  return a.start < b.end && b.start < a.end;
}
