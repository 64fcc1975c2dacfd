/** The middle of XS (of an even count, the upper middle): runs on this shared machine swing too much for a mean. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
