import { InvalidArgumentError } from 'commander';

const UNITS: Record<string, number> = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/** A size in bytes, with an optional K, M or G (powers of 1024), at most MAX. */
export function sizeArg(max: number): (value: string) => number {
  return (value) => {
    const m = /^(\d+)([KMG]?)$/i.exec(value);
    const bytes = m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : NaN;
    if (!(bytes <= max)) throw new InvalidArgumentError(`expected a size in bytes (K, M or G may follow) up to ${max}, got ${value}`);
    return bytes;
  };
}
