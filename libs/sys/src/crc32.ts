import zlib from 'node:zlib';
import koffi from 'koffi';

type Crc32 = (data: Uint8Array, seed: number) => number;

/**
 * The crc32 of zlib (gzip's polynomial; what page records carry), from libdeflate when the machine
 * has it: its carry-less-multiply loops ran 13 GB/s here against 4.5 for the zlib in Node 20, and
 * every page of a dump and of a restore goes through this once. Loaded per thread, on first use.
 */
let implementation: { name: 'libdeflate' | 'zlib'; crc32: Crc32 } | undefined;

function chosen(): { name: 'libdeflate' | 'zlib'; crc32: Crc32 } {
  if (implementation) return implementation;
  try {
    const lib = koffi.load('libdeflate.so.0');
    const sum = lib.func('uint32_t libdeflate_crc32(uint32_t crc, const uint8_t *buf, size_t len)') as (crc: number, buf: Uint8Array, len: number) => number;
    implementation = { name: 'libdeflate', crc32: (data, seed) => (data.length === 0 ? seed : sum(seed, data, data.length)) };
  } catch {
    implementation = { name: 'zlib', crc32: (data, seed) => zlib.crc32(data, seed) };
  }
  return implementation;
}

/** crc32 of DATA, continuing from SEED (the crc of what came before it). */
export function crc32(data: Uint8Array, seed = 0): number {
  return chosen().crc32(data, seed);
}

/** Which library sums: 'zlib' means libdeflate0 is missing and every page costs three times more. */
export function crc32Implementation(): 'libdeflate' | 'zlib' {
  return chosen().name;
}
