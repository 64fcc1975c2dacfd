// Where NATS is and who we are to it, from flags first, then the environment, then URL userinfo.

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsFlags {
  /** nats://[user:password@]host:port (also FERRY_NATS_URL). */
  url?: string;
  user?: string;
  password?: string;
  token?: string;
}

export interface NatsConfig {
  /** host:port, without credentials. */
  server: string;
  /** The server as people should see it in messages: never with a password. */
  shown: string;
  user?: string;
  pass?: string;
  token?: string;
}

/** FERRY_NATS_URL, FERRY_NATS_USER, FERRY_NATS_PASSWORD, FERRY_NATS_TOKEN, as the caller read them. */
export type NatsEnv = Record<string, string | undefined>;

export function natsConfig(flags: NatsFlags, env: NatsEnv): NatsConfig {
  const raw = flags.url ?? env.FERRY_NATS_URL ?? DEFAULT_NATS_URL;
  const url = parseNatsUrl(raw);
  const fromUrl = { user: decodeURIComponent(url.username), secret: decodeURIComponent(url.password) };
  const user = flags.user ?? env.FERRY_NATS_USER ?? (fromUrl.secret ? fromUrl.user : undefined);
  const pass = flags.password ?? env.FERRY_NATS_PASSWORD ?? (fromUrl.secret || undefined);
  // nats://TOKEN@host is how NATS URLs carry a token: userinfo without a password.
  const token = flags.token ?? env.FERRY_NATS_TOKEN ?? (!fromUrl.secret && fromUrl.user ? fromUrl.user : undefined);
  if (user !== undefined && pass === undefined) throw new Error(`a NATS user (${user}) needs a password: set FERRY_NATS_PASSWORD`);
  if (user !== undefined && token !== undefined) throw new Error('give NATS either a user and password or a token, not both');
  const server = `${url.hostname}:${url.port || '4222'}`;
  return { server, shown: `nats://${server}`, user, pass, token };
}

function parseNatsUrl(raw: string): URL {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `nats://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error(`not a NATS URL: ${raw.replace(/\/\/[^@/]*@/, '//***@')}`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tcp:') throw new Error(`not a NATS URL (nats://host:port): ${url.protocol}//${url.host}`);
  if (!url.hostname) throw new Error(`no host in the NATS URL ${url.protocol}//`);
  return url;
}
