import fs from 'node:fs';

export interface MapEntry {
  start: bigint;
  end: bigint;
  perms: string;          // e.g. "rw-p"
  offset: bigint;
  dev: string;            // "major:minor" in hex, as the kernel prints it
  inode: bigint;
  path: string;           // "" for anonymous
  vmFlags: string[];      // smaps VmFlags (empty when read from maps)
}

const header = /^([0-9a-f]+)-([0-9a-f]+) ([rwxsp-]{4}) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)\s*(.*)$/;

function parseHeader(line: string): MapEntry | null {
  const m = header.exec(line);
  if (!m) return null;
  return {
    start: BigInt('0x' + m[1]),
    end: BigInt('0x' + m[2]),
    perms: m[3]!,
    offset: BigInt('0x' + m[4]),
    dev: m[5]!,
    inode: BigInt(m[6]!),
    path: m[7]!,
    vmFlags: [],
  };
}

export function readMaps(pid: number): MapEntry[] {
  return fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').map(parseHeader).filter((e): e is MapEntry => e !== null);
}

/** /proc/PID/smaps: the maps lines with their VmFlags. */
export function readSmaps(pid: number): MapEntry[] {
  const out: MapEntry[] = [];
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const entry = parseHeader(line);
    if (entry) out.push(entry);
    else if (line.startsWith('VmFlags:') && out.length) out[out.length - 1]!.vmFlags = line.slice(8).trim().split(/\s+/);
  }
  return out;
}

export function devNumber(dev: string): bigint {
  const [major, minor] = dev.split(':').map((x) => parseInt(x, 16)) as [number, number];
  // Same encoding as the kernel's new_encode_dev / stat's st_dev.
  return BigInt((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12));
}
