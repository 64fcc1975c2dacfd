// Renews a presence key from a thread of its own: the main thread of an agent blocks for seconds
// in a restore's synchronous steps (filling memory), which must not read as the agent being dead.
import { parentPort, workerData } from 'node:worker_threads';
import { Redis, type RedisOptions } from 'ioredis';

const { redis, key, renewMs, expireMs, pid } = workerData as { redis: RedisOptions; key: string; renewMs: number; expireMs: number; pid: number };
const client = new Redis({ ...redis, maxRetriesPerRequest: 1 });
// A Redis that went away is for others to report; presence resumes when it is back.
client.on('error', () => {});
const renew = () => client.set(key, String(pid), 'PX', expireMs).catch(() => {});
void renew();
const timer = setInterval(renew, renewMs);
parentPort!.once('message', () => {
  clearInterval(timer);
  void client.del(key).catch(() => {}).finally(() => {
    client.disconnect();
    parentPort!.close();
  });
});
