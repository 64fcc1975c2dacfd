import { execFileSync } from 'node:child_process';

// The network lock of a checkpoint's TCP connections: an nftables table of the checkpoint's name
// that drops every packet of those connections, both ways, in this network namespace. While it
// holds, the peer's packets reach no socket, so the kernel answers none of them with a RST (the
// dumped socket is gone, the restored one not there yet), and the peer just retransmits.

/** One connection as the lock matches it, from the side of the socket ferry dumps. */
export interface LockedConnection {
  family: 'ip' | 'ip6';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

function nft(args: string[], input?: string): void {
  try {
    execFileSync('nft', args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('the network lock needs nft (the nftables package) on PATH');
    throw new Error(`nft ${args.join(' ')}: ${err.stderr?.toString().trim().split('\n')[0] ?? err.message}`);
  }
}

/** nftables names: letters, digits and underscores. */
export function netLockTable(name: string): string {
  return `ferry_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Drops the packets of CONNECTIONS from now on, under NAME (added to what NAME already locks). */
export function lockConnections(name: string, connections: readonly LockedConnection[]): void {
  const table = netLockTable(name);
  const rules = connections.flatMap((c) => [
    `add rule inet ${table} input ${c.family} saddr ${c.remoteAddress} ${c.family} daddr ${c.localAddress} tcp sport ${c.remotePort} tcp dport ${c.localPort} drop`,
    `add rule inet ${table} output ${c.family} saddr ${c.localAddress} ${c.family} daddr ${c.remoteAddress} tcp sport ${c.localPort} tcp dport ${c.remotePort} drop`,
  ]);
  // One transaction: the table and all its rules appear at once.
  nft(['-f', '-'], [
    `add table inet ${table}`,
    `add chain inet ${table} input { type filter hook input priority -300; policy accept; }`,
    `add chain inet ${table} output { type filter hook output priority -300; policy accept; }`,
    ...rules,
  ].join('\n') + '\n');
}

/** Lets the packets NAME locked through again; nothing when NAME locks nothing. */
export function unlockConnections(name: string): void {
  if (!isLocked(name)) return;
  nft(['delete', 'table', 'inet', netLockTable(name)]);
}

export function isLocked(name: string): boolean {
  try {
    execFileSync('nft', ['list', 'table', 'inet', netLockTable(name)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
