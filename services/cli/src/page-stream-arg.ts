/** --page-stream HOST:PORT (port 0: any free one), or "off". */
export function pageStreamArg(value: string): { host: string; port: number } | undefined {
  if (value === 'off') return undefined;
  const m = /^(.+):(\d+)$/.exec(value);
  if (!m || Number(m[2]) > 65535) throw new Error(`--page-stream ${value}: expected host:port or off`);
  return { host: m[1]!, port: Number(m[2]) };
}
