// Who runs a migrated tree is decided once, in Redis: the target claims it just before it releases
// the restored tree, the source claims it back when it gives up waiting. Whichever SET NX comes
// first wins, so exactly one copy runs, whatever the timing.
import { Redis, type RedisOptions } from 'ioredis';

const DECISION_TTL_S = 24 * 3600;

const decisionKey = (checkpointId: string) => `ferry:migration:${checkpointId}:runs-on`;

/** Claims the tree for WHO ('target' or 'source'); resolves to the side that has it. */
export async function claimTree(redis: RedisOptions, checkpointId: string, who: 'target' | 'source'): Promise<string> {
  // One try: a Redis that is away fails the claim at once, and the caller decides whether to wait.
  const client = new Redis({ ...redis, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.set(decisionKey(checkpointId), who, 'EX', DECISION_TTL_S, 'NX');
    return (await client.get(decisionKey(checkpointId))) ?? who;
  } finally {
    client.disconnect();
  }
}
