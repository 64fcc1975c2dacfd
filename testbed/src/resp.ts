// Speaking to redis-server as redis-cli does, over a LineClient: enough RESP for the socket tests.
import type { LineClient } from './inet-client.js';

/** A RESP command as redis-cli would send it. */
export const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/** Sends a command and reads its reply: '+OK', ':1', '-ERR ...', a bulk string's text, or null (nil). */
export async function redisCommand(client: LineClient, args: string[], timeoutMs = 10_000): Promise<string | null> {
  client.send(resp(...args));
  const head = (await client.line(timeoutMs)).replace(/\r$/, '');
  if (!head.startsWith('$')) return head;
  const length = Number(head.slice(1));
  if (length < 0) return null;
  return (await client.bytes(length + 2, timeoutMs)).subarray(0, length).toString();
}
