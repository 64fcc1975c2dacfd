// redis-server as a migrated workload: a real server with its clients outside the tree.
import { freePort } from './free-port.js';
import { waitForLine } from './processes.js';
import { startOnA, type Cluster } from './cluster.js';

/**
 * redis-server on a, without persistence (its files in the scratch directory), on a free port of
 * every address (so that it listens on b's there) and taking clients from anywhere; once ready.
 */
export async function startRedisOnA(c: Cluster): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const out = c.scratch.path('redis-out');
  const pid = startOnA(c, ['redis-server', '--port', String(port), '--bind', '0.0.0.0', '--protected-mode', 'no',
    '--save', '', '--appendonly', 'no', '--dir', c.scratch.dir, '--daemonize', 'no'], out);
  await waitForLine(out, /Ready to accept connections/, 20_000);
  return { pid, port };
}
