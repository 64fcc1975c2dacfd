import koffi from 'koffi';

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

// libnftables in this process, not the nft command: a command costs ~20 ms to start, and a dump
// locks each connection as it takes it (1,000 connections took 20 s that way).
interface Nftables {
  run(commands: string): string | null;
}

let library: Nftables | undefined;

function nftables(): Nftables {
  if (library) return library;
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load('libnftables.so.1');
  } catch {
    throw new Error('the network lock needs libnftables (the nftables package)');
  }
  const newContext = lib.func('void *nft_ctx_new(uint32_t flags)');
  const bufferOutput = lib.func('int nft_ctx_buffer_output(void *ctx)');
  const bufferError = lib.func('int nft_ctx_buffer_error(void *ctx)');
  const errorText = lib.func('const char *nft_ctx_get_error_buffer(void *ctx)');
  const runCommands = lib.func('int nft_run_cmd_from_buffer(void *ctx, const char *buf)');
  const ctx = newContext(0);
  if (!ctx) throw new Error('nft_ctx_new failed');
  bufferOutput(ctx);
  bufferError(ctx);
  library = {
    run(commands) {
      if (runCommands(ctx, commands) === 0) return null;
      return (errorText(ctx) as string | null)?.trim().split('\n')[0] || 'failed';
    },
  };
  return library;
}

function nft(commands: string): void {
  const error = nftables().run(commands);
  if (error !== null) throw new Error(`nft ${commands.split('\n')[0]}...: ${error}`);
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
  nft([
    `add table inet ${table}`,
    `add chain inet ${table} input { type filter hook input priority -300; policy accept; }`,
    `add chain inet ${table} output { type filter hook output priority -300; policy accept; }`,
    ...rules,
  ].join('\n') + '\n');
}

/** Lets the packets NAME locked through again; nothing when NAME locks nothing. */
export function unlockConnections(name: string): void {
  if (!isLocked(name)) return;
  nft(`delete table inet ${netLockTable(name)}`);
}

export function isLocked(name: string): boolean {
  return nftables().run(`list table inet ${netLockTable(name)}`) === null;
}
