// The network locks of the --tcp-established tests: ferry's nftables tables, as a test sees them.
import { execFileSync } from 'node:child_process';

function lockTables(): string[] {
  return execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(' ferry_')).map((l) => l.split(' ')[2]!);
}

/**
 * The network locks here that hold the connection from PORT (a client's end): other tests' locks
 * (a machine's tests may run side by side) are no business of this one.
 */
export function locksOf(port: number): string[] {
  return lockTables().filter((table) => new RegExp(`tcp sport ${port} `).test(tableText(table)));
}

/** The rules of TABLE; '' if it went between the listing and now (a lock being lifted). */
function tableText(table: string): string {
  try {
    return execFileSync('nft', ['list', 'table', 'inet', table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return lockTables().includes(table) ? execFileSync('nft', ['list', 'table', 'inet', table], { encoding: 'utf8' }) : '';
  }
}

/**
 * Runs BODY with LOCKS_LEFT telling the network locks (in our network namespace) made since it
 * began; those are removed at the end, whatever happens, so that no test leaves packets dropped.
 */
export async function withNetworkLocks(body: (locksLeft: () => string[]) => Promise<void>): Promise<void> {
  const before = new Set(lockTables());
  const made = () => lockTables().filter((t) => !before.has(t));
  try {
    await body(made);
  } finally {
    for (const table of made()) execFileSync('nft', ['delete', 'table', 'inet', table]);
  }
}
